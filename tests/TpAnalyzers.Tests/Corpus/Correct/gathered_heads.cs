using System;
using System.Numerics.Tensors;
using TpCodegen;

public sealed partial class VisAttention
{
    public const int Heads = 16, HeadDim = 64, Hidden = 1024;
    [TensorParallel(Split.Column)]
    public Linear Q { get; } = new(Hidden, Heads * HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(Heads, HeadDim) };
    [TensorParallel(Split.Column)]
    public Linear K { get; } = new(Hidden, Heads * HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(Heads, HeadDim) };

    // Attention maps for visualisation: gather every head first, then reshape with the global count.
    public Tensor<float> QueryHeads(DTensor x)
    {
        var q = Q.Forward(x);
        var full = q.Redistribute(Placement.Replicate);
        return Tensor.Reshape(full.Local, [full.Tokens, Heads, HeadDim]);
    }

    public Tensor<float> KeyHeads(DTensor x)
    {
        var k = K.Forward(x).FullTensor();
        return Tensor.Reshape(k, [x.Tokens, Heads, HeadDim]);
    }

    public Tensor<float> DenseHeads(Tensor<float> x)
    {
        var q = Q.Forward(x);            // the dense layer's own forward: every head
        return Tensor.Reshape(q, [x.Lengths[0], Heads, HeadDim]);
    }
}
