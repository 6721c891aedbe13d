using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class ClipMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256);
    public RmsNorm Norm { get; } = new(256);

    public ParameterSet Parameters() => new ParameterSet()
        .Add("up", LayerParameters.Of(Up))
        .Add("down", LayerParameters.Of(Down))
        .Add("norm", LayerParameters.Of(Norm));
}

public static class ManualClip
{
    // Global L2 norm: sharded parameters' squares summed over the TP group (each shard once), replicated ones counted
    // once (not once per rank), then the clip factor applied locally. One all-reduce of one float over TP.
    public static float ClipByGlobalNorm(ParameterSet parameters, float maxNorm, ProcessGroup tp)
    {
        double shardedSquares = 0, replicatedSquares = 0;
        foreach (var (name, p) in parameters.Items)
        {
            double sq = p.Grad.Sum(g => (double)g * g);
            if (p.Placement == ParameterPlacement.Sharded) shardedSquares += sq;
            else replicatedSquares += sq;
        }
        var total = new float[] { (float)shardedSquares };
        tp.AllReduce(total);
        float norm = MathF.Sqrt(total[0] + (float)replicatedSquares);
        float scale = norm > maxNorm ? maxNorm / (norm + 1e-6f) : 1f;
        if (scale < 1f)
            foreach (var item in parameters.Items)
                System.Numerics.Tensors.TensorPrimitives.Multiply(item.Parameter.Grad, scale, item.Parameter.Grad);
        return norm;
    }

    public static void Step(ClipMlp model, ParameterSet parameters, AdamW optimizer, DeviceMesh mesh, Func<DTensor> loss)
    {
        using (var tape = Tape.Start())
            loss().Backward();
        // gradients averaged over data-parallel replicas only: each DP peer holds the same shard
        foreach (var (_, p) in parameters.Items)
            mesh.DataParallel.AllReduce(p.Grad, ReduceOp.Average);
        float norm = ClipByGlobalNorm(parameters, 1f, mesh.TensorParallel);
        float check = GradientClipping.GlobalNorm(parameters, mesh.TensorParallel);
        optimizer.Step();
        parameters.ZeroGrad();
        if (mesh.World.Rank == 0) Console.WriteLine($"norm {norm:F4} (after clip {check:F4})");
    }
}
