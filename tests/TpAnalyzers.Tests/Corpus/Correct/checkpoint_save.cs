using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TpCodegen;
using TpCodegen.Checkpoints;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class SaveMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512);
}

public static class Saver
{
    // Rebuild the dense weights: all-gather each rank's block over TP (gathering shards is how a checkpoint is made).
    // Only the first data-parallel replica does it; every rank of that TP group has dp rank 0, so the gathers are balanced.
    public static void SaveDense(SaveMlp mlp, DeviceMesh mesh, string path)
    {
        var tp = mesh.TensorParallel;
        if (mesh.DataParallel.Rank != 0) return;
        var upBlock = mlp.Up.Shard!.CopyWeight();
        var downBlock = mlp.Down.Shard!.CopyWeight();
        var upAll = new float[upBlock.Length * tp.Size];
        var downAll = new float[downBlock.Length * tp.Size];
        tp.AllGather(upBlock, upAll);
        tp.AllGather(downBlock, downAll);
        if (tp.Rank != 0) return;
        var upDense = ReorderColumns(upAll, rows: 512, blockColumns: 2048 / tp.Size, tp.Size);
        var tensors = new List<SafetensorsWriter.Tensor>
        {
            SafetensorsWriter.Tensor.F32("up.weight", [512, 2048], upDense),
            SafetensorsWriter.Tensor.F32("down.weight", [2048, 512], downAll),
        };
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["tp"] = tp.Size.ToString() });
        Console.WriteLine($"saved {new FileInfo(path).Length:N0} bytes");
    }

    private static float[] ReorderColumns(float[] blocks, int rows, int blockColumns, int ranks)
    {
        var dense = new float[rows * blockColumns * ranks];
        for (int r = 0; r < ranks; r++)
            for (int i = 0; i < rows; i++)
                Array.Copy(blocks, (r * rows + i) * blockColumns, dense, i * blockColumns * ranks + r * blockColumns, blockColumns);
        return dense;
    }

    public static void SaveTraining(DeviceMesh mesh, AdamW optimizer, string directory)
    {
        Directory.CreateDirectory(directory);
        if (mesh.DataParallel.Rank == 0)
            TrainingCheckpoint.Save(directory, mesh.TensorParallel.Rank, optimizer);
        mesh.World.Barrier();
    }

    public static void Resume(DeviceMesh mesh, AdamW optimizer, string directory)
    {
        if (File.Exists(Path.Combine(directory, TrainingCheckpoint.FileName(mesh.TensorParallel.Rank))))
            TrainingCheckpoint.Load(directory, mesh.TensorParallel.Rank, optimizer);
        if (mesh.World.Rank == 0) Console.WriteLine($"resumed at step {optimizer.Steps}");
    }
}
