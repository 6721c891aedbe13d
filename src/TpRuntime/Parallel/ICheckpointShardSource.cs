namespace TpCodegen.Parallel;

/// <summary>
/// Where the generated <c>ShardFrom(ICheckpointShardSource, ...)</c> reads a rank's weight shards: by tensor name,
/// one rectangular block at a time, so a rank reads only the slice it owns and never the dense tensor.
/// </summary>
/// <remarks>
/// Tensors are 2-D and row-major as stored: a weight of this runtime's own layers is <c>[in, out]</c>, an
/// <c>nn.Linear</c> weight of a Hugging Face checkpoint <c>[out, in]</c>; a 1-D tensor (a bias) reads as <c>[1, n]</c>.
/// A block of whole rows is one contiguous run of the file, a block of columns one run per row. Implemented by
/// <c>SafetensorsCheckpoint</c> (one file) and <c>HuggingFaceCheckpoint</c> (a model directory, sharded or not), which
/// convert BF16 and F16 to F32 as blocks are read; tests implement it over arrays.
/// </remarks>
public interface ICheckpointShardSource
{
    /// <summary>True when the checkpoint holds a tensor named <paramref name="name"/>.</summary>
    bool Contains(string name);

    /// <summary>
    /// Copies rows <c>[rowStart, rowStart + rowCount)</c> and columns <c>[columnStart, columnStart + columnCount)</c>
    /// of tensor <paramref name="name"/>, whose full shape is <c>[rows, columns]</c>, into
    /// <paramref name="destination"/> (<c>rowCount * columnCount</c> floats, row-major). Throws when the tensor is
    /// missing (<see cref="KeyNotFoundException"/>), its shape is not <c>[rows, columns]</c>
    /// (<see cref="InvalidDataException"/>), the block lies outside it (<see cref="ArgumentOutOfRangeException"/>) or its
    /// dtype does not convert to F32 (<see cref="NotSupportedException"/>); each message names the file and the tensor.
    /// </summary>
    void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination);
}
