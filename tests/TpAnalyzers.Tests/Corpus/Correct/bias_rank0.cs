using System;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class BiasOnce
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
    [TensorParallel(Split.Row, ReduceResults = false, SkipBiasAdd = true)] public Linear Down { get; } = new(256, 64);

    public DTensor Forward(DTensor x, DTensor bias)
    {
        var partial = Down.Forward(Ops.Silu(Up.Forward(x)));
        return Ops.AllReduce(partial) + bias;
    }
}

public static class TokenMath
{
    public static int VocabPerRank(ProcessGroup tp, int tokenizerVocabSize, int divisibleBy)
    {
        int multiple = divisibleBy * tp.Size;
        int padded = (tokenizerVocabSize + multiple - 1) / multiple * multiple;
        return padded / tp.Size;
    }
}
