using System;
using System.Diagnostics;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class BenchMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(4096, 11008, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(11008, 4096, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
}

public static class Bench
{
    public static void Main(string[] args) => Launcher.Run(int.Parse(args[0]), world =>
    {
        using var mesh = DeviceMesh.Create(world, dataParallel: world.Size / 2, tensorParallel: 2);
        var tp = mesh.TensorParallel;
        var dp = mesh.DataParallel;
        var mlp = new BenchMlp();
        int microBatch = 8, sequence = 512;
        int tokensPerReplica = microBatch * sequence;
        int globalBatch = microBatch * dp.Size;
        var input = new float[tokensPerReplica * 4096];
        new Random(1234 + dp.Rank).NextBytes(new byte[16]);

        for (int w = 0; w < 3; w++) mlp.Forward(DTensor.FromArray(input, tokensPerReplica, 4096, Placement.Replicate, tp));
        tp.Counters.Reset();

        var times = new double[10];
        for (int i = 0; i < times.Length; i++)
        {
            world.Barrier();
            var sw = Stopwatch.StartNew();
            using (StepBuffers.Enter())
                mlp.Forward(DTensor.FromArray(input, tokensPerReplica, 4096, Placement.Replicate, tp));
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        var slowest = new float[] { (float)times.Order().ElementAt(times.Length / 2) };
        world.AllReduce(slowest, ReduceOp.Max);
        double tokensPerSecond = globalBatch * sequence / (slowest[0] / 1000.0);
        double flops = 2.0 * 2 * 4096 * 11008 * tokensPerReplica / tp.Size;
        if (world.Rank == 0)
        {
            Console.WriteLine($"median of slowest rank {slowest[0]:F2} ms; {tokensPerSecond:N0} tokens/s over dp={dp.Size}, tp={tp.Size}");
            Console.WriteLine($"{flops / (slowest[0] / 1000) / 1e9:F1} GFLOP/s per rank; {tp.Counters}");
        }
    });
}
