namespace TpCodegen;

/// <summary>
/// The gradients of one linear layer's backward, for <c>y = x @ W + b</c> given <c>dL/dy</c>.
/// </summary>
/// <param name="Input">
/// <c>dL/dx</c>, with the placement the forward's input had: Replicate for a dense or column layer (a column layer
/// all-reduces it), Shard(-1) for a row layer that takes a sharded input, Replicate (all-gathered) for one that does not.
/// </param>
/// <param name="Weight">
/// <c>dL/dW</c>, shaped as the weight this instance holds: <c>[in, out]</c> dense, this rank's <c>[in, out/tp]</c>
/// column block or <c>[in/tp, out]</c> row block when sharded. Never summed over the tensor-parallel group: each rank's
/// block is the gradient of its own slice (only a data-parallel group sums it).
/// </param>
/// <param name="Bias">
/// <c>dL/db</c> (the column sums of <c>dL/dy</c>), shaped as the bias this instance holds: <c>[out]</c> dense or row,
/// this rank's <c>[out/tp]</c> slice for a column layer; null when the layer has no bias. With SkipBiasAdd it is the
/// gradient of <see cref="ShardedLinear.SkippedBias"/> (the same values whoever adds the bias): the caller that adds
/// the bias need not compute it again.
/// </param>
public readonly record struct LinearGradients(DTensor Input, float[] Weight, float[]? Bias);
