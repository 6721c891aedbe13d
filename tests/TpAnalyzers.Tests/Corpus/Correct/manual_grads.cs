using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class GMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(128, 512);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(512, 128);
    public RmsNorm Norm { get; } = new(128);
}

public static class ManualBackward
{
    public static void Step(DeviceMesh mesh, GMlp m, DTensor x, DTensor gradY, float lr)
    {
        var dp = mesh.DataParallel;
        var tp = mesh.TensorParallel;
        var h = Ops.Gelu(m.Up.Forward(x));
        var gDown = m.Down.Backward(h, gradY);
        var gUp = m.Up.Backward(x, gDown.Input);   // the activation's derivative left out to keep the example short
        // data-parallel gradient averaging: each DP peer holds the same shard
        dp.AllReduce(gDown.Weight, ReduceOp.Average);
        dp.AllReduce(gUp.Weight, ReduceOp.Average);
        if (gUp.Bias is { } b) dp.AllReduce(b, ReduceOp.Average);
        var downWeight = m.Down.Shard!.CopyWeight();
        for (int i = 0; i < downWeight.Length; i++) downWeight[i] -= lr * gDown.Weight[i];
        m.Down.Shard.UpdateWeight(downWeight);
        // the norm weight is replicated across TP: its gradient needs only the DP reduction
        var normParam = LayerParameters.Of(m.Norm);
        dp.AllReduce(normParam.Grad, ReduceOp.Average);
        // global grad norm: sum squares of shards over TP (each shard counted once)
        var sq = new[] { gDown.Weight.Sum(g => g * g) + gUp.Weight.Sum(g => g * g) };
        tp.AllReduce(sq);
        if (mesh.World.Rank == 0) Console.WriteLine($"grad norm {MathF.Sqrt(sq[0]):F3}");
    }

    // checkpoint export: gather each shard over TP to rebuild the dense weight
    public static float[] GatherDense(ProcessGroup tp, GMlp m)
    {
        var shard = m.Down.Shard!.CopyWeight();
        var dense = new float[shard.Length * tp.Size];
        tp.AllGather(shard, dense);
        return dense;
    }

    public static void SyncReplicas(DeviceMesh mesh, GMlp m)
    {
        // make DP replicas start from identical shards
        var w = m.Up.Shard!.CopyWeight();
        mesh.DataParallel.Broadcast(w, root: 0);
        m.Up.Shard.UpdateWeight(w);
    }
}
