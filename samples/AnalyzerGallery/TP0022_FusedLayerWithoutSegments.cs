using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0022: q, k and v fused in one column layer with no OutputLayout: each rank would get a contiguous third.</summary>
public partial class FusedQkvCutContiguously
{
    private const int Heads = 8;
    private const int KvHeads = 2;
    private const int HeadDim = 64;

    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(512, (Heads + 2 * KvHeads) * HeadDim, bias: false);   // TP0022
}
