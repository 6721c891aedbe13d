using System;
using System.Collections.Generic;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class LogMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
    public DTensor ForwardAndLog(DTensor x)
    {
        var y = Forward(x);
        Console.WriteLine($"forward: {y}");
        return y;
    }
}

public static class Balanced
{
    // Rank 0 takes the logging variant; both paths run the same forward.
    public static DTensor Step(LogMlp mlp, DTensor x, ProcessGroup tp)
    {
        DTensor y;
        if (tp.Rank == 0) y = mlp.ForwardAndLog(x);
        else y = mlp.Forward(x);
        return y;
    }

    // A user's stop request on rank 0 becomes a vote every rank sees after the all-reduce.
    public static List<DTensor> Loop(LogMlp mlp, DTensor x, ProcessGroup tp, Func<bool> userStop)
    {
        var outputs = new List<DTensor>();
        for (int i = 0; i < 100; i++)
        {
            var vote = new[] { tp.Rank == 0 && userStop() ? 1f : 0f };
            tp.AllReduce(vote, ReduceOp.Max);
            if (vote[0] > 0) break;
            x = mlp.Forward(x);
            outputs.Add(x);
        }
        return outputs;
    }
}
