using System.Numerics.Tensors;
using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0020: a rank's shard of the query projection reshaped into all 8 heads, where it holds 8 / tp of them.</summary>
public partial class QueryReshapedGlobally
{
    private const int Heads = 8;
    private const int HeadDim = 16;

    [TensorParallel(Split.Column)]
    public Linear Q { get; } = new(128, Heads * HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(Heads, HeadDim) };

    public Tensor<float> QueryHeads(DTensor x)
    {
        var q = Q.Forward(x);
        return Tensor.Reshape(q.Local, [q.Tokens, Heads, HeadDim]);   // TP0020
    }
}
