namespace TpCodegen.Parallel;

/// <summary>
/// Where the generated <c>ShardFrom(ICheckpointShardSource, ...)</c> reads a rank's weight shards: by tensor name,
/// one rectangular block at a time, so a rank reads only the slice it owns and never the dense tensor.
/// </summary>
/// <remarks>
/// Tensors are 2-D and row-major as this runtime stores them: a layer's weight is <c>[in, out]</c>, its bias
/// <c>[1, out]</c>. A column shard is a block of columns, a row shard a block of rows.
/// SafetensorsCheckpoint implements it; tests implement it over arrays.
/// </remarks>
public interface ICheckpointShardSource
{
    /// <summary>True when the checkpoint holds a tensor named <paramref name="name"/>.</summary>
    bool Contains(string name);

    /// <summary>
    /// Copies rows <c>[rowStart, rowStart + rowCount)</c> and columns <c>[columnStart, columnStart + columnCount)</c>
    /// of tensor <paramref name="name"/>, whose full shape is <c>[rows, columns]</c>, into
    /// <paramref name="destination"/> (<c>rowCount * columnCount</c> floats, row-major). Throws when the tensor is
    /// missing or its shape is not <c>[rows, columns]</c>.
    /// </summary>
    void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination);
}
