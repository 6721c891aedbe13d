using TpCodegen;
using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0011: a weight shard all-reduced over the tensor-parallel group: every rank holds a different slice.</summary>
public partial class ShardedMlp
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(512, 2048);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Relu(Gate.Forward(x)));

    public static void SyncGradients(ShardedMlp mlp, DeviceMesh mesh) =>
        mesh.TensorParallel.AllReduce(mlp.Gate.Weight, ReduceOp.Average);   // TP0011 (and TP0010)
}
