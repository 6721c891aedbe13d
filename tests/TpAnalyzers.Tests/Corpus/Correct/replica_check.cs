using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class DetMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Gelu(Up.Forward(x)));
}

public static class ReplicaDeterminism
{
    // Every data-parallel replica runs the same input: their replicated outputs must agree bit for bit.
    public static bool ReplicasAgree(DetMlp mlp, float[] input, DeviceMesh mesh)
    {
        var y = mlp.Forward(DTensor.FromArray(input, input.Length / 256, 256, Placement.Replicate, mesh.TensorParallel));
        var max = y.LocalSpan.ToArray();
        var min = y.LocalSpan.ToArray();
        mesh.DataParallel.AllReduce(max, ReduceOp.Max);
        mesh.DataParallel.AllReduce(min, ReduceOp.Min);
        return max.Zip(min).All(p => p.First == p.Second);
    }
}
