using TpCodegen;
using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0016: a tensor-parallel layer's output reduced over the data-parallel group instead of its TP group.</summary>
public static class WrongGroup
{
    public static void Step(ShardedMlp mlp, DeviceMesh mesh, DTensor x)
    {
        var y = mlp.Down.Forward(x);
        mesh.DataParallel.AllReduce(y.LocalSpan);   // TP0016
    }
}
