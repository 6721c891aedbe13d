namespace TpCodegen.Models;

/// <summary>
/// What one attention layer needs besides its input: which sequence and position each row is, the layer's KV cache (or
/// none), and the rotary embeddings. A struct: a forward makes one per layer per step, and a decode step allocates nothing.
/// </summary>
public readonly record struct AttentionContext(SequenceBatch Batch, KvCache? Cache, RotaryEmbedding? Rope);
