namespace TpCodegen.Models;

/// <summary>
/// One Llama decoder layer: pre-norm attention and MLP, each with a residual add. Without sequence parallelism the
/// residual stream is the full (replicated) hidden state; with it, each rank holds a run of tokens (Shard(-2)): norms and
/// residual adds run on the rank's tokens, an all-gather of tokens enters attention and the MLP, and a reduce-scatter over
/// tokens leaves them in place of the all-reduce (the same bytes, 1/tp of the activations).
/// </summary>
public sealed class LlamaBlock(LlamaConfig c, bool fused, bool sequenceParallel = false)
{
    public RmsNorm InputNorm { get; } = new(c.Hidden, c.RmsNormEps);

    public ILlamaAttention Attention { get; } =
        sequenceParallel ? new SequenceParallelLlamaAttention(c) : fused ? new FusedLlamaAttention(c) : new LlamaAttention(c);

    public RmsNorm PostAttentionNorm { get; } = new(c.Hidden, c.RmsNormEps);

    public ILlamaMlp Mlp { get; } = sequenceParallel ? new SequenceParallelLlamaMlp(c) : fused ? new FusedLlamaMlp(c) : new LlamaMlp(c);

    /// <summary>Whether the residual stream is split by tokens.</summary>
    public bool SequenceParallel { get; } = sequenceParallel;

    public DTensor Forward(DTensor x, AttentionContext context)
    {
        if (!SequenceParallel)
        {
            var h = x + Attention.Forward(InputNorm.Forward(x), context);
            return h + Mlp.Forward(PostAttentionNorm.Forward(h));
        }
        // Each gathered input lives only while its sub-block runs, and each row layer's full-size partial sum only until it
        // is reduce-scattered; the backward gathers the input again (Megatron's choice: an all-gather more per sub-block
        // for tp-1 / tp of the hidden state's activations, as the training bench measures).
        DTensor attended;
        using (var gathered = InputNorm.Forward(x).GatherTokens())
            attended = x + Attention.Forward(gathered.Value, context).ReduceScatterTokens();
        using (var gathered = PostAttentionNorm.Forward(attended).GatherTokens())
            return attended + Mlp.Forward(gathered.Value).ReduceScatterTokens();
    }
}
