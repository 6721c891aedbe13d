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
/// MlpBlockBenchmarks. The backend is the one that launched the process, so the same binary measures both. Each round
/// runs the forward twice, in alternating order: once allocating its activations (outside any scope) and once inside a
/// StepBuffers scope that reuses them, as a decode or training loop does, so the cost of per-forward allocation (large
/// object heap, and a GC per process under MPI) shows side by side.
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
            Console.WriteLine($"# GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {Environment.ProcessorCount} cores visible");
            Console.WriteLine("| backend | tokens x hidden x intermediate | allocating: median (ms) | best | pooled: median (ms) | best | gen2 GCs (allocating / pooled) |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
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
            using (StepBuffers.Enter()) mlp.Forward(x);
            var allocating = new double[Rounds];
            var pooled = new double[Rounds];
            var gen2 = new int[2];
            for (int round = 0; round < Rounds; round++)
            {
                // Which of the two goes first alternates, so neither always inherits the other's cache state.
                for (int turn = 0; turn < 2; turn++)
                {
                    bool usePool = (turn + round) % 2 == 1;
                    int before = GC.CollectionCount(2);
                    double time = TimeForward(world, () =>
                    {
                        if (!usePool) { mlp.Forward(x); return; }
                        using (StepBuffers.Enter()) mlp.Forward(x);
                    });
                    gen2[usePool ? 1 : 0] += GC.CollectionCount(2) - before;
                    (usePool ? pooled : allocating)[round] = time;
                }
            }
            Array.Sort(allocating);
            Array.Sort(pooled);
            if (world.Rank == 0)
                Console.WriteLine($"| {Launcher.BackendName} | {tokens}x{hidden}x{intermediate} | {allocating[Rounds / 2]:0.0} | {allocating[0]:0.0} | " +
                                  $"{pooled[Rounds / 2]:0.0} | {pooled[0]:0.0} | {gen2[0]} / {gen2[1]} |");
        }
    }

    // The slowest rank's time: every rank starts together and the forward ends when the last one does.
    private static double TimeForward(ProcessGroup world, Action forward)
    {
        world.Barrier();
        long start = Stopwatch.GetTimestamp();
        forward();
        float[] elapsed = [(float)Stopwatch.GetElapsedTime(start).TotalMilliseconds];
        world.AllReduce(elapsed, ReduceOp.Max);
        return elapsed[0];
    }
}
