using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0003: a column layer's sharded output feeds another column layer, which needs every feature.</summary>
public partial class ColumnIntoColumn
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Column)] public Linear Wide { get; } = new(2048, 512);

    public DTensor Forward(DTensor x) => Wide.Forward(Ops.Gelu(Up.Forward(x)));   // TP0003
}
