namespace TpCodegen;

/// <summary>
/// Marks a dense <see cref="Linear"/> layer (a property or field of a partial class) for tensor parallelism.
/// The TpCodegen generator emits the layer's sharded forward and the code that cuts each rank's shard out
/// of the dense weights; the TpCodegen analyzers check the placements that flow through the module's Forward.
/// The options mirror the flags of Megatron-LM and vLLM's parallel linear layers.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = false)]
public sealed class TensorParallelAttribute(Split split) : Attribute
{
    /// <summary>Which dimension of the weight the ranks divide.</summary>
    public Split Split { get; } = split;

    /// <summary>Column only: all-gather the output so the layer returns Replicate instead of Shard(-1) (gather_output).</summary>
    public bool GatherOutput { get; set; }

    /// <summary>
    /// Row only: true (the default) when the input arrives sharded on its last dimension, as a column layer
    /// leaves it; false makes the layer take a replicated input and keep only its own slice (input_is_parallel).
    /// </summary>
    public bool InputIsParallel { get; set; } = true;

    /// <summary>
    /// Row only: true (the default) all-reduces the partial sums so the layer returns Replicate; false returns
    /// Partial(Sum) for a later fused reduce (reduce_results).
    /// </summary>
    public bool ReduceResults { get; set; } = true;

    /// <summary>
    /// Leaves the bias out of the output and hands it back through <c>layer.Shard.SkippedBias</c>
    /// (<see cref="ShardedLinear.SkippedBias"/>) for the caller's fused epilogue (skip_bias_add): a Column layer's
    /// slice of the bias (out / tp, matching its Shard(-1) output), a Row layer's whole bias (to add once, after the
    /// reduce). Never required: a Row layer with ReduceResults = false adds its bias on rank 0 only, so the later
    /// reduce counts it once. Not with GatherOutput = true (analyzer TP0018): the slice would not match the gathered output.
    /// </summary>
    public bool SkipBiasAdd { get; set; }
}
