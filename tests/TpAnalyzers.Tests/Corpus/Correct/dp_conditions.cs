using System;
using System.IO;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class Proj
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256);
}

public static class Checkpointing
{
    // Only the first data-parallel replica writes the checkpoint; every rank of THAT replica's TP group
    // takes part in the gather (they all have dp.Rank == 0), so the TP collective is balanced.
    public static void SaveFullUp(DeviceMesh mesh, Proj model, string path)
    {
        var tp = mesh.TensorParallel;
        var dp = mesh.DataParallel;
        if (dp.Rank == 0)
        {
            var shard = model.Up.Shard!.CopyWeight();
            var full = new float[shard.Length * tp.Size];
            tp.AllGather(shard, full);
            if (tp.Rank == 0) File.WriteAllBytes(path, new byte[full.Length * 4]);
        }
        mesh.World.Barrier();
    }

    // Loss is identical on every TP rank; average it over the DP group on TP rank 0's replicas only
    // (every member of that DP group has tp.Rank == 0).
    public static float ReportLoss(DeviceMesh mesh, float loss)
    {
        var buffer = new[] { loss };
        if (mesh.TensorParallel.Rank == 0)
        {
            mesh.DataParallel.AllReduce(buffer, ReduceOp.Average);
            if (mesh.DataParallel.Rank == 0) Console.WriteLine($"loss {buffer[0]:F4}");
        }
        return buffer[0];
    }
}
