using TpCodegen;

namespace LlamaMlpSample;

/// <summary>
/// Llama's feed-forward block, written once as dense code: down(silu(gate(x)) * up(x)). The attributes are all it
/// takes for the generator to emit the sharded layers, ShardFrom and GetPlan (see obj/.../generated/).
/// </summary>
public partial class LlamaMlpBlock(int hidden, int intermediate)
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: false);

    // The same Forward runs dense (on a group of one) and sharded: Gate and Up return Shard(-1), Silu and * keep it,
    // Down all-reduces its partial sums to Replicate: one all-reduce per block.
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}
