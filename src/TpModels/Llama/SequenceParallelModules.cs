namespace TpCodegen.Models;

/// <summary>
/// Llama's attention for sequence parallelism: the same Q, K, V by heads, but O keeps its partial sum
/// (<c>ReduceResults = false</c>) so the decoder block reduce-scatters it over tokens instead of all-reducing it.
/// </summary>
public sealed partial class SequenceParallelLlamaAttention(LlamaConfig c) : LlamaQkvProjections(c), ILlamaAttention
{
    [TensorParallel(Split.Row, ReduceResults = false)]
    public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: c.OutputBias) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "o") };

    /// <summary>Takes the full (gathered) hidden state; returns O's partial sum (Replicate when unsharded).</summary>
    [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
    public DTensor Forward(DTensor x, AttentionContext context) => O.Forward(Attend(x, context));
}

/// <summary>Llama's SwiGLU MLP for sequence parallelism: Down keeps its partial sum for the block's reduce-scatter.</summary>
public sealed partial class SequenceParallelLlamaMlp(LlamaConfig c) : ILlamaMlp
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(c.Hidden, c.Intermediate, bias: c.MlpBias);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(c.Hidden, c.Intermediate, bias: c.MlpBias);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(c.Intermediate, c.Hidden, bias: c.MlpBias);

    /// <summary>Takes the full (gathered) hidden state; returns Down's partial sum (Replicate when unsharded).</summary>
    [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}
