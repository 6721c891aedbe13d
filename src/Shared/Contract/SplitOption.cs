namespace TpCodegen.Contract;

/// <summary>
/// The options of <c>[TensorParallel]</c>, named as the attribute's properties are (the reader matches metadata names
/// against <see cref="LayerOptions.Name"/>). Megatron-LM and vLLM call them gather_output, input_is_parallel,
/// reduce_results and skip_bias_add.
/// </summary>
internal enum SplitOption
{
    GatherOutput,
    InputIsParallel,
    ReduceResults,
    SkipBiasAdd,
}
