using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0002: the residual x is added to the partial sum before the all-reduce, so it is summed tp times.</summary>
public partial class ResidualBeforeReduce
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(2048, 512);

    public DTensor Forward(DTensor x) => Ops.AllReduce(Down.Forward(Up.Forward(x)) + x);   // TP0002
}
