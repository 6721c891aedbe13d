using System;
using System.Threading.Tasks;
using System.IO;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class Mlp3
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);

    public DTensor Forward(DTensor x)
    {
        var partial = Down.Forward(Ops.Relu(Up.Forward(x)));
        // debug metadata only
        Console.WriteLine($"partial: {partial.Tokens} x {partial.Features}, {partial.Placement} on {partial.Group}");
        var reduced = Ops.AllReduce(partial);
        return reduced + x;
    }
}

public static class Diagnostics
{
    // print each rank's shard info in rank order
    public static void PrintInOrder(ProcessGroup tp, DTensor y)
    {
        for (int r = 0; r < tp.Size; r++)
        {
            if (r == tp.Rank) Console.WriteLine($"rank {tp.Rank}: {y.LocalFeatures} local features");
            tp.Barrier();
        }
    }

    public static async Task SaveLogAsync(ProcessGroup world, string text)
    {
        if (world.Rank != 0) return;
        await File.AppendAllTextAsync("train.log", text + Environment.NewLine);
    }

    public static async Task<float> StepAsync(Mlp3 mlp, DTensor x, ProcessGroup world)
    {
        var y = await Task.Run(() => mlp.Forward(x));
        var full = y.ToTensor();
        await SaveLogAsync(world, $"step done, {full.FlattenedLength} values");
        return 0f;
    }

    public static void Broadcast(ProcessGroup tp, float[] weights, string path)
    {
        if (tp.Rank == 0)
        {
            try
            {
                var bytes = File.ReadAllBytes(path);
                Buffer.BlockCopy(bytes, 0, weights, 0, Math.Min(bytes.Length, weights.Length * 4));
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"rank 0 could not read {path}: {e.Message}; broadcasting zeros");
                Array.Clear(weights);
            }
        }
        tp.Broadcast(weights, root: 0);
    }

    public static int Seed(ProcessGroup dp)
    {
        int seed;
        switch (dp.Rank)
        {
            case 0: seed = 42; break;
            default: seed = 42 + 1000 * dp.Rank; break;
        }
        return seed;
    }
}
