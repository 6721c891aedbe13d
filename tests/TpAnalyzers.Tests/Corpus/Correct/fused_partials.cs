using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

// Parallel attention + MLP (GPT-J / PaLM style): both branches' row layers skip their reduce, the two partial sums are
// added (a sum of partial sums is a partial sum) and reduced once.
public sealed partial class ParallelBlock
{
    [TensorParallel(Split.Column)] public Linear AttnIn { get; } = new(1024, 1024, bias: false);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear AttnOut { get; } = new(1024, 1024, bias: false);
    [TensorParallel(Split.Column)] public Linear MlpIn { get; } = new(1024, 4096, bias: false);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear MlpOut { get; } = new(4096, 1024, bias: false);
    public LayerNorm Ln { get; } = new(1024);

    public DTensor Forward(DTensor x)
    {
        var n = Ln.Forward(x);
        var branches = new DTensor[2];
        branches[0] = AttnOut.Forward(Ops.Relu(AttnIn.Forward(n)));
        branches[1] = MlpOut.Forward(Ops.Gelu(MlpIn.Forward(n)));
        var sum = branches[0] + branches[1];
        return x + Ops.AllReduce(sum);
    }

    public (DTensor Partial, int Branches) PartialSum(DTensor n)
    {
        var a = AttnOut.Forward(Ops.Relu(AttnIn.Forward(n)));
        var m = MlpOut.Forward(Ops.Gelu(MlpIn.Forward(n)));
        return (a + m, 2);
    }

    public DTensor ForwardViaTuple(DTensor x)
    {
        var (partial, count) = PartialSum(Ln.Forward(x));
        var reduced = Ops.AllReduce(partial);
        return count > 0 ? x + reduced : x;
    }

    public bool TryForward(DTensor x, out DTensor y)
    {
        if (x.Tokens == 0) { y = x; return false; }
        var partial = MlpOut.Forward(Ops.Gelu(MlpIn.Forward(Ln.Forward(x))));
        y = x + Ops.AllReduce(partial);
        return true;
    }

    public DTensor ForwardList(DTensor x)
    {
        var partials = new List<DTensor>();
        var n = Ln.Forward(x);
        partials.Add(AttnOut.Forward(Ops.Relu(AttnIn.Forward(n))));
        partials.Add(MlpOut.Forward(Ops.Gelu(MlpIn.Forward(n))));
        var total = partials.Aggregate((a, b) => a + b);
        return x + Ops.AllReduce(total);
    }
}

public static class ParallelStack
{
    public static DTensor Run(ParallelBlock[] blocks, DTensor x)
    {
        var h = x;
        foreach (var b in blocks)
            h = b.TryForward(h, out var y) ? y : b.ForwardViaTuple(h);
        return blocks.Length > 0 ? blocks[^1].ForwardList(h) : h;
    }
}
