namespace TpCodegen.Checkpoints;

/// <summary>How far a load has come: tensor bytes read so far, of <paramref name="TotalBytes"/>, and the tensor last read.</summary>
public sealed record CheckpointProgress(long BytesRead, long TotalBytes, string CurrentTensor);

/// <summary>
/// Counts the tensor bytes read through one checkpoint (a file, or every shard of a directory) from any thread, and
/// reports progress once per block read, never per row.
/// </summary>
internal sealed class ReadMeter(long totalBytes, IProgress<CheckpointProgress>? progress)
{
    private long _bytesRead;

    /// <summary>What progress reports as the whole; a directory learns it after opening its first file.</summary>
    public long TotalBytes { get; set; } = totalBytes;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public void Add(long bytes, string tensor)
    {
        long now = Interlocked.Add(ref _bytesRead, bytes);
        progress?.Report(new CheckpointProgress(now, TotalBytes, tensor));
    }
}
