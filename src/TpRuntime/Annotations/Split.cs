namespace TpCodegen;

/// <summary>
/// Which dimension of a linear layer's weight <c>W: [in, out]</c> the tensor-parallel ranks divide. The values are the split contract's
/// (src/Shared/Contract), which the generator and the analyzers read from the attribute's metadata.
/// </summary>
public enum Split
{
    /// <summary>
    /// Splits output features (Megatron's ColumnParallelLinear, DTensor's ColwiseParallel): rank r owns
    /// <c>W[:, r*out/tp : (r+1)*out/tp]</c> and that slice of the bias; it takes a replicated input and
    /// returns its output sharded on the last dimension.
    /// </summary>
    Column = (int)Contract.SplitKind.Column,

    /// <summary>
    /// Splits input features (RowParallelLinear, RowwiseParallel): rank r owns <c>W[r*in/tp : (r+1)*in/tp, :]</c>
    /// and the whole bias; it takes its input sharded on the last dimension, makes a partial sum, all-reduces
    /// it and adds the bias once.
    /// </summary>
    Row = (int)Contract.SplitKind.Row,

    /// <summary>
    /// Splits a vocabulary (Megatron's VocabParallelEmbedding and vocab-parallel LM head). On an <see cref="Embedding"/>:
    /// rank r owns the table rows of ids <c>[r*V/tp, (r+1)*V/tp)</c>, looks up only those (zeros elsewhere) and one
    /// all-reduce makes the replicated embeddings. On a <see cref="Linear"/> LM head: a column split over the vocabulary,
    /// whose Shard(-1) logits feed vocab-parallel argmax, sampling and loss without ever being gathered. A vocabulary the
    /// degree does not divide is padded (<see cref="VocabularySplit"/>): padding rows are zero, padding logits -infinity.
    /// </summary>
    Vocab = (int)Contract.SplitKind.Vocab,
}
