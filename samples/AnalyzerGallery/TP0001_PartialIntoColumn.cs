using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0001: Down keeps its output partial (ReduceResults = false), and the partial sum feeds a column layer.</summary>
public partial class PartialIntoColumn
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(2048, 512);
    [TensorParallel(Split.Column)] public Linear Next { get; } = new(512, 2048);

    public DTensor Forward(DTensor x)
    {
        var h = Down.Forward(Up.Forward(x));
        return Ops.AllReduce(Down.Forward(Next.Forward(h)));   // TP0001: h must be all-reduced before Next
    }
}
