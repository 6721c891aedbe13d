namespace TpCodegen.Contract;

/// <summary>
/// The kinds of split the contract knows. The runtime's public <c>TpCodegen.Split</c> takes its values from here, so
/// the integer the generator and the analyzers read out of an attribute's metadata names the same row everywhere.
/// A new kind of split is a new value here and a new row in <see cref="SplitContracts"/>.
/// </summary>
internal enum SplitKind
{
    /// <summary>Output features divided: Megatron's ColumnParallelLinear.</summary>
    Column = 0,

    /// <summary>Input features divided: Megatron's RowParallelLinear.</summary>
    Row = 1,

    /// <summary>A vocabulary divided, padded to a multiple of the degree: Megatron's VocabParallelEmbedding and its LM head.</summary>
    Vocab = 2,
}
