using System;
using System.Diagnostics;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

public sealed partial class LMlp
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
    public void ShardFrom(LMlp dense, ProcessGroup group) { }
}

public static class Program
{
    public static int Main(string[] args)
    {
        int ranks = args.Length > 0 ? int.Parse(args[0]) : 2;
        var dense = new LMlp();
        var input = Enumerable.Range(0, 16 * 512).Select(i => MathF.Sin(i)).ToArray();
        var expected = dense.Forward(DTensor.FromArray(input, 16, 512, Placement.Replicate, SingleRankGroupFactory())).Local.ToArray();

        var maxErrors = InProcessWorld.Run(ranks, group =>
        {
            var mlp = new LMlp();
            mlp.ShardFrom(dense, group);
            var y = mlp.Forward(DTensor.FromArray(input, 16, 512, Placement.Replicate, group));
            var got = y.Local.ToArray();
            return got.Zip(expected, (a, b) => MathF.Abs(a - b)).Max();
        });
        Console.WriteLine($"max error per rank: {string.Join(", ", maxErrors)}");

        Launcher.Run(ranks, world =>
        {
            var mlp = new LMlp();
            mlp.ShardFrom(dense, world);
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 10; i++)
                mlp.Forward(DTensor.FromArray(input, 16, 512, Placement.Replicate, world));
            world.Barrier();
            if (world.Rank == 0) Console.WriteLine($"{Launcher.BackendName}: {sw.Elapsed.TotalMilliseconds / 10:F2} ms/forward, {world.Counters}");
        });
        return maxErrors.All(e => e < 1e-4f) ? 0 : 1;
    }

    private static ProcessGroup SingleRankGroupFactory() => InProcessWorld.CreateGroups(1)[0];
}
