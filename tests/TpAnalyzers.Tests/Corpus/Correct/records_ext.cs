using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public readonly record struct BlockOutput(DTensor Hidden, DTensor Residual);
public sealed record Activations(DTensor Input, DTensor Normed, DTensor Output);

public static class DTensorExtensions
{
    public static DTensor Gathered(this DTensor x) => x.Placement is ShardPlacement ? x.Redistribute(Placement.Replicate) : x;
    public static DTensor Reduced(this DTensor x) => x.Placement is PartialPlacement ? Ops.AllReduce(x) : x;
    public static string Describe(this DTensor x) => x.Placement switch
    {
        ReplicatePlacement => $"replicated [{x.Tokens}, {x.Features}]",
        ShardPlacement { Dim: -1 } => $"column shard {x.LocalFeatures} of {x.Features}",
        ShardPlacement { Dim: -2 } => $"token shard {x.Tokens} rows",
        PartialPlacement p => $"partial ({p.Op})",
        _ => x.ToString(),
    };
    public static DTensor Residual(this DTensor x, Func<DTensor, DTensor> f) => x + f(x);
}

public sealed partial class PreNormMlp(int hidden, int ffn)
{
    [TensorParallel(Split.Column)] public Linear Fc { get; } = new(hidden, ffn);
    [TensorParallel(Split.Row)] public Linear Proj { get; } = new(ffn, hidden);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear ProjPartial { get; } = new(ffn, hidden);
    public LayerNorm Ln { get; } = new(hidden);

    public BlockOutput Forward(DTensor x)
    {
        var normed = Ln.Forward(x);
        var y = Proj.Forward(Ops.Gelu(Fc.Forward(normed)));
        return new BlockOutput(x + y, x);
    }

    public Activations Trace(DTensor x)
    {
        var normed = Ln.Forward(x);
        var partial = ProjPartial.Forward(Ops.Gelu(Fc.Forward(normed)));
        var full = partial.Reduced();
        return new Activations(x, normed, x + full);
    }

    public DTensor Gathered(DTensor x) => Fc.Forward(Ln.Forward(x)).Gathered();
}

public static class StackRunner
{
    public static DTensor Run(IReadOnlyList<PreNormMlp> blocks, DTensor x)
    {
        var h = x;
        foreach (var block in blocks)
        {
            var (hidden, _) = block.Forward(h);
            h = hidden;
        }
        var trace = blocks[^1].Trace(h);
        if (x.Group.Rank == 0) Console.WriteLine($"{trace.Output.Describe()} / {trace.Normed.Describe()}");
        var wide = blocks[0].Gathered(h);
        float peak = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(wide.LocalSpan);
        if (x.Group.Rank == 0) Console.WriteLine($"peak activation {peak:F3}");
        return trace.Output.Residual(v => blocks[0].Forward(v).Hidden);
    }
}
