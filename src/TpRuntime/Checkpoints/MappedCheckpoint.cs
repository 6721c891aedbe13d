using TpCodegen.Parallel;

namespace TpCodegen.Checkpoints;

/// <summary>Where a model member's tensor is stored: its name in the checkpoint, and whether it is stored transposed.</summary>
/// <param name="Name">The tensor's name in the checkpoint.</param>
/// <param name="Transposed">
/// True for a 2-D weight stored <c>[out, in]</c> (PyTorch's <c>nn.Linear</c>) where this runtime reads <c>[in, out]</c>:
/// a column shard then reads a contiguous run of stored rows.
/// </param>
public readonly record struct StoredTensor(string Name, bool Transposed);

/// <summary>
/// A checkpoint seen under the names and layout a model's members use: each request for a member's tensor is mapped to the
/// name the checkpoint stores it under (Hugging Face's <c>model.layers.0.self_attn.q_proj.weight</c> for a member
/// <c>Layers.0.Attention.Q.weight</c>), transposed on the fly for <c>[out, in]</c> weights. Only the requested block is
/// read, so each rank still reads only its shard.
/// </summary>
public sealed class MappedCheckpoint(ICheckpointShardSource inner, Func<string, StoredTensor?> map) : ICheckpointShardSource
{
    private readonly ICheckpointShardSource _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly Func<string, StoredTensor?> _map = map ?? throw new ArgumentNullException(nameof(map));

    /// <summary>What <paramref name="name"/> maps to (itself, untransposed, when the map does not know it).</summary>
    public StoredTensor Resolve(string name) => _map(name) ?? new StoredTensor(name, false);

    public bool Contains(string name) => _inner.Contains(Resolve(name).Name);

    public void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination)
    {
        var stored = Resolve(name);
        try
        {
            Read(stored, rows, columns, rowStart, rowCount, columnStart, columnCount, destination);
        }
        catch (KeyNotFoundException missing) when (stored.Name != name)
        {
            // The checkpoint's message names its file and close names; add the model member that asked.
            throw new KeyNotFoundException($"{missing.Message} (the model's '{name}' is stored there as '{stored.Name}')", missing);
        }
    }

    private void Read(StoredTensor stored, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination)
    {
        if (!stored.Transposed)
        {
            _inner.ReadBlock(stored.Name, rows, columns, rowStart, rowCount, columnStart, columnCount, destination);
            return;
        }
        // Stored [columns, rows]: the block is rows [columnStart, +columnCount) and columns [rowStart, +rowCount) there.
        if (destination.Length < (long)rowCount * columnCount)
            throw new ArgumentException($"Reading a [{rowCount}, {columnCount}] block of '{stored.Name}' needs {(long)rowCount * columnCount} floats; the destination holds {destination.Length}.", nameof(destination));
        // Pooled: a load transposes every weight once, and on a VM fresh pages cost more than the copy into them.
        int length = checked(rowCount * columnCount);
        var block = System.Buffers.ArrayPool<float>.Shared.Rent(length);
        try
        {
            _inner.ReadBlock(stored.Name, columns, rows, columnStart, columnCount, rowStart, rowCount, block.AsSpan(0, length));
            Kernels.Gemm.Transpose(block, columnCount, rowCount, destination);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(block);
        }
    }
}
