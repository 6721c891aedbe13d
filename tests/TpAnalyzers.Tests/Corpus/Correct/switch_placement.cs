using System;
using TpCodegen;
using TpCodegen.Collectives;

public enum OutputMode { Replicated, Sharded, TokenSharded }

public sealed partial class ModeMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(2048, 512, bias: false);

    public DTensor Forward(DTensor x, OutputMode mode)
    {
        var partial = Down.Forward(Ops.Silu(Up.Forward(x)));
        return mode switch
        {
            OutputMode.Replicated => Ops.AllReduce(partial),
            OutputMode.TokenSharded => partial.Redistribute(Placement.Shard(-2)),
            _ => Ops.AllReduce(partial).Redistribute(Placement.Shard(-1)),
        };
    }
}

public static class PlacementSwitch
{
    public static DTensor ToReplicate(DTensor x) => x.Placement switch
    {
        ReplicatePlacement => x,
        PartialPlacement { Op: ReduceOp.Sum } => Ops.AllReduce(x),
        ShardPlacement => x.Redistribute(Placement.Replicate),
        PartialPlacement p => throw new NotSupportedException($"cannot finish {p}"),
        _ => throw new InvalidOperationException(),
    };

    public static int LocalRows(DTensor x) => x.Placement is ShardPlacement { Dim: -2 } ? x.Tokens : x.Tokens / x.Group.Size;

    public static void Show(ModeMlp mlp, DTensor x, ProcessGroup tp)
    {
        foreach (OutputMode mode in Enum.GetValues<OutputMode>())
        {
            var y = ToReplicate(mlp.Forward(x, mode));
            var summary = y.Placement is ReplicatePlacement ? $"{mode}: [{y.Tokens}, {y.Features}] max {System.Numerics.Tensors.TensorPrimitives.Max(y.LocalSpan):F3}" : "?";
            if (tp.Rank == 0) Console.WriteLine(summary);
        }
    }
}
