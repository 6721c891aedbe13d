using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

// Sequence parallelism by hand with the releasing helpers: token shards between blocks, an all-gather into each
// block's column layers, a reduce-scatter out of its row layer.
public sealed partial class SpMlp
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(1024, 4096, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(1024, 4096, bias: false);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(4096, 1024, bias: false);
    public RmsNorm Norm { get; } = new(1024);

    public DTensor Forward(DTensor tokens)
    {
        var normed = Norm.Forward(tokens);                  // on this rank's tokens
        using var gathered = normed.GatherTokens();
        var x = gathered.Value;
        var partial = Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
        return tokens + partial.ReduceScatterTokens();
    }
}

public static class SpRunner
{
    public static float[] Run(SpMlp[] blocks, float[] input, int tokens, ProcessGroup tp)
    {
        var x = DTensor.FromArray(input, tokens, 1024, Placement.Replicate, tp).Redistribute(Placement.Shard(-2));
        foreach (var b in blocks) x = b.Forward(x);
        var full = x.Redistribute(Placement.Replicate);
        return full.LocalSpan.ToArray();
    }
}
