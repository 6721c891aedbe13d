using System;
using System.IO;
using TpCodegen;
using TpCodegen.Collectives;

public static class SizeGuards
{
    // Skipping a collective on a group of one is uniform: every rank has the same Size.
    public static void ReduceMetrics(ProcessGroup tp, float[] metrics)
    {
        if (tp.Size > 1) tp.AllReduce(metrics);
        if (tp.Size == 1) return;
        tp.Barrier();
    }

    // Every rank runs the finally's barrier, whatever the early return.
    public static void WriteLog(ProcessGroup tp, string text)
    {
        try
        {
            if (tp.Rank != 0) return;
            File.AppendAllText("log.txt", text);
        }
        finally
        {
            tp.Barrier();
        }
    }

    // Loss averaged over data-parallel replicas for logging, only on tensor-parallel rank 0: every rank of a DP group has
    // the same TP rank, so whole DP groups enter.
    public static float LogLoss(DeviceMesh mesh, float loss)
    {
        var buffer = new[] { loss };
        if (mesh.TensorParallel.Rank == 0)
        {
            mesh.DataParallel.AllReduce(buffer, ReduceOp.Average);
            if (mesh.DataParallel.Rank == 0) Console.WriteLine($"loss {buffer[0]:F4}");
        }
        return buffer[0];
    }

    // Per-rank batch timings gathered for a straggler report: the receive buffer is send length times group size.
    public static float[] GatherTimings(ProcessGroup tp, float batchMilliseconds)
    {
        var batchTimes = new[] { batchMilliseconds };
        var all = new float[batchTimes.Length * tp.Size];
        tp.AllGather(batchTimes, all);
        return all;
    }
}
