namespace TpCodegen.Models;

/// <summary>One Llama decoder layer: pre-norm attention and MLP, each with a residual add on the full (replicated) hidden state.</summary>
public sealed class LlamaBlock(LlamaConfig c, bool fused)
{
    public RmsNorm InputNorm { get; } = new(c.Hidden, c.RmsNormEps);

    public ILlamaAttention Attention { get; } = fused ? new FusedLlamaAttention(c) : new LlamaAttention(c);

    public RmsNorm PostAttentionNorm { get; } = new(c.Hidden, c.RmsNormEps);

    public ILlamaMlp Mlp { get; } = fused ? new FusedLlamaMlp(c) : new LlamaMlp(c);

    public DTensor Forward(DTensor x, AttentionContext context)
    {
        var h = x + Attention.Forward(InputNorm.Forward(x), context);
        return h + Mlp.Forward(PostAttentionNorm.Forward(h));
    }
}
