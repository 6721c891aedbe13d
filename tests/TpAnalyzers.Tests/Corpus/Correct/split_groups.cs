using System;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class SplitMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(4096, 11008, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(11008, 4096, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
}

public static class SplitRun
{
    public const int Tp = 2;
    // 6 ranks: tensor-parallel pairs of consecutive ranks, 3 data-parallel replicas; groups made by Split, no mesh.
    public static void Main() => Launcher.Run(6, world =>
    {
        using var tp = world.Split(world.Rank / Tp, world.Rank);
        using var dp = world.Split(world.Rank % Tp, world.Rank);
        var mlp = new SplitMlp();
        var y = mlp.Forward(DTensor.FromArray(new float[4096], 1, 4096, Placement.Replicate, tp));
        if (world.Rank == 0) Console.WriteLine(y);
    });
}
