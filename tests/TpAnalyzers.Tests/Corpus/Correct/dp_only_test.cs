using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

public sealed partial class BigMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(4096, 11008, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(11008, 4096, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
}

public static class Runs
{
    // The model run: tp=2 inside a 2 x 2 mesh.
    public static void Sharded() => Launcher.Run(4, world =>
    {
        using var mesh = DeviceMesh.Create(world, 2, 2);
        var mlp = new BigMlp();
        mlp.Forward(DTensor.FromArray(new float[4096], 1, 4096, Placement.Replicate, mesh.TensorParallel));
    });

    // A separate check of gradient averaging on three data-parallel ranks: no tensor parallelism at all.
    public static float[] AveragingCheck() => InProcessWorld.Run(3, world =>
    {
        var grad = new float[] { world.Rank, 2 * world.Rank };
        world.AllReduce(grad, ReduceOp.Average);
        return grad[1];
    });
}
