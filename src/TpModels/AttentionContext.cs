namespace TpCodegen.Models;

/// <summary>What one attention layer needs besides its input: which sequence and position each row is, the layer's KV cache (or none), and the rotary embeddings.</summary>
public sealed record AttentionContext(SequenceBatch Batch, KvCache? Cache, RotaryEmbedding? Rope);
