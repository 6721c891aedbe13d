using System.Diagnostics;
using TpCodegen;
using TpCodegen.Collectives;

/// <summary>A Llama MLP block as an author writes it; the generator shards it.</summary>
public partial class MpiBenchMlp(int hidden, int intermediate)
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false, seed: 1);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: false, seed: 2);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: false, seed: 3);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}

/// <summary>
/// One sharded forward of the MLP block per round, timed on the slowest rank, on the shapes of TpBench's
/// MlpBlockBenchmarks. The backend is the one that launched the process, so the same binary measures both.
/// </summary>
internal static class MlpBench
{
    private const int Rounds = 7;
    private static readonly (int Tokens, int Hidden, int Intermediate)[] Shapes = [(2048, 1024, 4096), (512, 4096, 11008)];

    public static void Run(ProcessGroup world)
    {
        if (world.Rank == 0)
        {
            Console.WriteLine($"# MLP block at tp={world.Size} on {Launcher.BackendName} ranks, median and best of {Rounds} forwards (slowest rank)");
            Console.WriteLine("| backend | tokens x hidden x intermediate | median (ms) | best (ms) |");
            Console.WriteLine("|---|---|---:|---:|");
        }
        foreach (var (tokens, hidden, intermediate) in Shapes)
        {
            // Every rank builds the same seeded dense layers and cuts its own shard from them.
            var dense = new MpiBenchMlp(hidden, intermediate);
            var mlp = new MpiBenchMlp(hidden, intermediate);
            mlp.ShardFrom(dense, world);
            var random = new Random(7);
            var input = new float[tokens * hidden];
            for (int i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 2 - 1);
            var x = DTensor.FromArray(input, tokens, hidden, Placement.Replicate, world);

            mlp.Forward(x); // warm-up: JIT, first touch of the shard's memory
            var times = new double[Rounds];
            for (int round = 0; round < Rounds; round++)
            {
                world.Barrier();
                long start = Stopwatch.GetTimestamp();
                mlp.Forward(x);
                float[] elapsed = [(float)Stopwatch.GetElapsedTime(start).TotalMilliseconds];
                world.AllReduce(elapsed, ReduceOp.Max);
                times[round] = elapsed[0];
            }
            Array.Sort(times);
            if (world.Rank == 0)
                Console.WriteLine($"| {Launcher.BackendName} | {tokens}x{hidden}x{intermediate} | {times[Rounds / 2]:0.0} | {times[0]:0.0} |");
        }
    }
}
