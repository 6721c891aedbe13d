using TpCodegen;
using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0026: a row layer's output is already reduced; summing it over the group again multiplies it by tp.</summary>
public partial class ReplicaReducedAgain
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512);

    public DTensor Forward(DTensor x)
    {
        var y = Down.Forward(Ops.Gelu(Up.Forward(x)));
        y.Group.AllReduce(y.LocalSpan);   // TP0026
        return y;
    }
}
