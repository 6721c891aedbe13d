using TpCodegen;
using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0010: partial sums averaged instead of summed: the layer's output comes out divided by tp.</summary>
public static class PartialSumAveraged
{
    public static void Reduce(DeviceMesh mesh, float[] partialSums) =>
        mesh.TensorParallel.AllReduce(partialSums, ReduceOp.Average);   // TP0010
}
