using System;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class VMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
}

public static class Votes
{
    public static DTensor BroadcastBreak(VMlp mlp, DTensor x, ProcessGroup tp, Func<bool> stop)
    {
        for (int i = 0; i < 100; i++)
        {
            var flag = new[] { tp.Rank == 0 && stop() ? 1f : 0f };
            tp.Broadcast(flag, 0);
            if (flag[0] > 0) break;
            x = mlp.Forward(x);
        }
        return x;
    }

    public static DTensor AllReduceWhile(VMlp mlp, DTensor x, ProcessGroup tp, Func<bool> stop)
    {
        bool done = false;
        while (!done)
        {
            var vote = new[] { tp.Rank == 0 && stop() ? 1f : 0f };
            tp.AllReduce(vote, ReduceOp.Max);
            done = vote[0] > 0;
            if (!done) x = mlp.Forward(x);
        }
        return x;
    }

    public static DTensor AllReduceBreak(VMlp mlp, DTensor x, ProcessGroup tp, Func<bool> stop)
    {
        for (int i = 0; i < 100; i++)
        {
            bool mine = tp.Rank == 0 && stop();
            var vote = new[] { mine ? 1f : 0f };
            tp.AllReduce(vote, ReduceOp.Max);
            if (vote[0] > 0) break;
            x = mlp.Forward(x);
        }
        return x;
    }
}
