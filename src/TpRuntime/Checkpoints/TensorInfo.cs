namespace TpCodegen.Checkpoints;

/// <summary>A tensor as a checkpoint stores it: its dtype (<c>F32</c>, <c>BF16</c>, <c>I64</c>, ...), shape, the file holding it and its size in that file.</summary>
public sealed record TensorInfo(string Name, string DType, long[] Shape, string File, long ByteLength)
{
    /// <summary>The number of elements (1 for a scalar of shape <c>[]</c>).</summary>
    public long ElementCount => Shape.Aggregate(1L, (count, dimension) => count * dimension);
}
