using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0019: 6 query heads and 6 key/value heads, which a tensor-parallel degree of 4 cannot split whole.</summary>
public partial class SixHeadAttentionAtTp4
{
    private const int TpDegree = 4;

    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(384, 18 * 64, bias: false) { OutputLayout = FeatureLayout.Qkv(6, 6, 64) };   // TP0019 twice

    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(6 * 64, 384, bias: false) { InputLayout = FeatureLayout.Heads(6, 64) };   // TP0019
}
