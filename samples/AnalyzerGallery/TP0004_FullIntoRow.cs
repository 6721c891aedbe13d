using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0004: the module's replicated input feeds a row layer that expects its slice (InputIsParallel = true).</summary>
public partial class FullIntoRow
{
    [TensorParallel(Split.Row)] public Linear Out { get; } = new(512, 512);

    public DTensor Forward(DTensor x) => Out.Forward(x);   // TP0004
}
