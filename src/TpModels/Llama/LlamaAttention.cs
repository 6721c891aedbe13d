namespace TpCodegen.Models;

/// <summary>
/// The query, key and value projections of Llama's self-attention, split by whole heads (K and V by key/value heads,
/// replicated when the degree exceeds them), and attention over this rank's heads: what the plain and the
/// sequence-parallel attention share; each adds its own output projection.
/// </summary>
public partial class LlamaQkvProjections(LlamaConfig c)
{
    [TensorParallel(Split.Column)]
    public Linear Q { get; } = new(c.Hidden, c.Heads * c.HeadDim, bias: c.QkvBias) { OutputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "q") };

    [TensorParallel(Split.Column)]
    public Linear K { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: c.QkvBias) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim, "k") };

    [TensorParallel(Split.Column)]
    public Linear V { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: c.QkvBias) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim, "v") };

    protected LlamaConfig Config { get; } = c;

    /// <summary>Attention of <paramref name="x"/>'s queries over its keys and values: Shard(-1) by heads when sharded.</summary>
    protected DTensor Attend(DTensor x, AttentionContext context) =>
        CausalAttention.Forward(Q.Forward(x), K.Forward(x), V.Forward(x), Config.HeadDim, context.Batch, context.Cache, context.Rope, Config.SlidingWindow);
}

/// <summary>
/// Llama's self-attention, written once as a dense module: Q, K, V split by whole heads (K and V by key/value heads,
/// replicated when the degree exceeds them), attention over this rank's heads, O split by rows: one all-reduce.
/// </summary>
public sealed partial class LlamaAttention(LlamaConfig c) : LlamaQkvProjections(c), ILlamaAttention
{
    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: c.OutputBias) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "o") };

    public DTensor Forward(DTensor x, AttentionContext context) => O.Forward(Attend(x, context));
}

/// <summary>
/// The same attention with q, k and v fused into one GEMM per rank (vLLM's QKVParallelLinear): the column split takes this
/// rank's heads from each segment, and a checkpoint with separate q/k/v tensors loads into it segment by segment.
/// </summary>
public sealed partial class FusedLlamaAttention(LlamaConfig c) : ILlamaAttention
{
    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(c.Hidden, (c.Heads + 2 * c.KvHeads) * c.HeadDim, bias: c.QkvBias) { OutputLayout = FeatureLayout.Qkv(c.Heads, c.KvHeads, c.HeadDim) };

    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: c.OutputBias) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "o") };

    public DTensor Forward(DTensor x, AttentionContext context)
    {
        var qkv = Qkv.SplitOutput(Qkv.Forward(x));
        return O.Forward(CausalAttention.Forward(qkv[0], qkv[1], qkv[2], c.HeadDim, context.Batch, context.Cache, context.Rope, c.SlidingWindow));
    }
}

/// <summary>Either form of Llama attention, as a decoder block holds it.</summary>
public interface ILlamaAttention : Parallel.ITensorParallelModule
{
    DTensor Forward(DTensor x, AttentionContext context);
}
