namespace TpCodegen.Models;

/// <summary>
/// GPT-2's attention: ONE fused q|k|v projection (<c>c_attn</c>, <c>[hidden, 3 * hidden]</c>) split per segment, so each
/// rank takes its heads from each third (a contiguous third would hand rank 0 all the queries); the output projection
/// (<c>c_proj</c>) split by rows over the same heads: one all-reduce.
/// </summary>
public sealed partial class Gpt2Attention(Gpt2Config c)
{
    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(c.Hidden, 3 * c.Hidden) { OutputLayout = FeatureLayout.Qkv(c.Heads, c.Heads, c.HeadDim) };

    [TensorParallel(Split.Row)]
    public Linear Out { get; } = new(c.Hidden, c.Hidden) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "heads") };

    public DTensor Forward(DTensor x, AttentionContext context)
    {
        var qkv = Qkv.SplitOutput(Qkv.Forward(x));
        return Out.Forward(CausalAttention.Forward(qkv[0], qkv[1], qkv[2], c.HeadDim, context.Batch, context.Cache, rope: null));
    }
}

/// <summary>GPT-2's MLP: <c>c_fc</c> by columns, gelu (tanh form), <c>c_proj</c> by rows: one all-reduce.</summary>
public sealed partial class Gpt2Mlp(Gpt2Config c)
{
    [TensorParallel(Split.Column)] public Linear Fc { get; } = new(c.Hidden, c.Inner);
    [TensorParallel(Split.Row)] public Linear Proj { get; } = new(c.Inner, c.Hidden);

    public DTensor Forward(DTensor x) => Proj.Forward(Ops.Gelu(Fc.Forward(x)));
}

/// <summary>One GPT-2 layer: pre-LayerNorm attention and MLP with residual adds.</summary>
public sealed class Gpt2Block(Gpt2Config c)
{
    public LayerNorm Ln1 { get; } = new(c.Hidden, c.LayerNormEps);
    public Gpt2Attention Attention { get; } = new(c);
    public LayerNorm Ln2 { get; } = new(c.Hidden, c.LayerNormEps);
    public Gpt2Mlp Mlp { get; } = new(c);

    public DTensor Forward(DTensor x, AttentionContext context)
    {
        var h = x + Attention.Forward(Ln1.Forward(x), context);
        return h + Mlp.Forward(Ln2.Forward(h));
    }
}
