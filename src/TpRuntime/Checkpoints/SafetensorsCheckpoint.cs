using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TpCodegen.Parallel;

namespace TpCodegen.Checkpoints;

/// <summary>
/// A <c>.safetensors</c> file read one block at a time, so that each rank reads only the slice of every tensor it
/// owns (a column shard reads its columns row by row; a row shard one contiguous run) and never the dense tensor.
/// </summary>
/// <remarks>
/// The format: an 8-byte little-endian header length, a JSON header mapping each tensor name to its
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> (relative to the end of the header), then the raw data.
/// Any dtype the format defines opens; blocks read as F32 from F32, BF16 and F16 tensors (converted as they are
/// read), whole I64 tensors through <see cref="ReadInt64"/>. A 1-D tensor <c>[n]</c> reads as <c>[1, n]</c>, so a bias
/// may be stored either way. Reads may run from several threads at once.
/// </remarks>
public sealed class SafetensorsCheckpoint : ICheckpointShardSource, IDisposable
{
    // 16-bit tensors are read through a scratch buffer of at most this many bytes, then converted.
    private const int ConversionChunkBytes = 1 << 20;

    private readonly SafeFileHandle _file;
    private readonly long _dataStart;
    private readonly Dictionary<string, TensorEntry> _tensors;
    private readonly ReadMeter _meter;
    private readonly ReadMeter? _directoryMeter;

    private SafetensorsCheckpoint(string path, SafeFileHandle file, long dataStart, long dataLength,
        (Dictionary<string, TensorEntry> Tensors, IReadOnlyDictionary<string, string> Metadata) header,
        IProgress<CheckpointProgress>? progress, ReadMeter? directoryMeter)
    {
        Path = path;
        _file = file;
        _dataStart = dataStart;
        DataLength = dataLength;
        (_tensors, Metadata) = header;
        _meter = new ReadMeter(dataLength, progress);
        _directoryMeter = directoryMeter;
    }

    /// <summary>The file, for messages.</summary>
    public string Path { get; }

    /// <summary>The tensor names in the file, in ordinal order.</summary>
    public IReadOnlyList<string> TensorNames => _tensors.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The header's <c>__metadata__</c> map (empty when it has none), e.g. <c>{"format": "pt"}</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Bytes of tensor data the file holds.</summary>
    public long DataLength { get; }

    /// <summary>Bytes of tensor data read from the file so far, by every thread.</summary>
    public long BytesRead => _meter.BytesRead;

    /// <summary>
    /// Opens <paramref name="path"/> and reads its header; the data stays on disk until a block is asked for.
    /// <paramref name="progress"/>, when given, hears of every block read.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The path is not a regular file, or the header is not a valid safetensors header; the message names the file and the fault.</exception>
    public static SafetensorsCheckpoint Open(string path, IProgress<CheckpointProgress>? progress = null) =>
        Open(path, SafetensorsLimits.Default, progress, directoryMeter: null);

    internal static SafetensorsCheckpoint Open(string path, SafetensorsLimits limits, IProgress<CheckpointProgress>? progress, ReadMeter? directoryMeter)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireRegularFile(path);
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(file);
            Span<byte> prefix = stackalloc byte[8];
            if (length < 8 || RandomAccess.Read(file, prefix, 0) != 8)
                throw new InvalidDataException($"Checkpoint '{path}' is {length} bytes: too short for a safetensors header.");
            long headerLength = BitConverter.ToInt64(prefix);
            if (headerLength <= 0 || headerLength > length - 8 || headerLength > limits.MaxHeaderBytes)
                throw new InvalidDataException(
                    $"Checkpoint '{path}' declares a {headerLength}-byte header in a {length}-byte file (at most {limits.MaxHeaderBytes}): not a safetensors file.");
            if (!BitConverter.IsLittleEndian)
                throw new PlatformNotSupportedException("Safetensors data is little-endian; this reader does not convert it on a big-endian machine.");
            var header = new byte[headerLength];
            ReadExactly(file, path, "the header", header, 8);
            long dataStart = 8 + headerLength;
            var parsed = SafetensorsHeader.Parse(path, header, length - dataStart, limits);
            return new SafetensorsCheckpoint(path, file, dataStart, length - dataStart, parsed, progress, directoryMeter);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a directory, a pipe or a device before opening it (see <see cref="RegularFile"/>).</summary>
    private static void RequireRegularFile(string path)
    {
        long length = RegularFile.Length(path, "Checkpoint");
        if (length < 8)
            throw new InvalidDataException(
                $"Checkpoint '{path}' is {length} bytes long or not a regular file (a pipe, a device): not a safetensors file.");
    }

    /// <inheritdoc/>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The dtype, shape and size of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor; the message lists the closest names it has.</exception>
    public TensorInfo Describe(string name)
    {
        var tensor = Find(name);
        return new TensorInfo(tensor.Name, tensor.DType, (long[])tensor.Shape.Clone(), Path, tensor.ByteLength);
    }

    /// <inheritdoc/>
    /// <remarks>F32 tensors are read straight into <paramref name="destination"/>; BF16 and F16 are converted on the way.</remarks>
    /// <exception cref="NotSupportedException">The tensor's dtype is not one that converts to F32.</exception>
    public void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination)
    {
        var tensor = Find(name);
        var (fileRows, fileColumns) = tensor.Shape.Length switch
        {
            1 => (1L, tensor.Shape[0]),
            2 => (tensor.Shape[0], tensor.Shape[1]),
            _ => (-1L, -1L),
        };
        if (fileRows != rows || fileColumns != columns)
            throw new InvalidDataException(
                $"Tensor '{CheckpointText.Quote(name)}' in checkpoint '{Path}' is {CheckpointText.Shape(tensor.Shape)}, but the layer expects [{rows}, {columns}].");
        // 64-bit sums: int.MaxValue + 1 must not wrap to a negative end that passes the check.
        if (rowStart < 0 || rowCount < 0 || (long)rowStart + rowCount > rows || columnStart < 0 || columnCount < 0 || (long)columnStart + columnCount > columns)
            throw new ArgumentOutOfRangeException(nameof(rowStart),
                $"Block rows [{rowStart}, {(long)rowStart + rowCount}) x columns [{columnStart}, {(long)columnStart + columnCount}) lies outside tensor '{CheckpointText.Quote(name)}' [{rows}, {columns}].");
        if (destination.Length != (long)rowCount * columnCount)
            throw new ArgumentException(
                $"Reading tensor '{CheckpointText.Quote(name)}': the destination holds {destination.Length} floats, the block {(long)rowCount * columnCount}.", nameof(destination));
        RequireFloat(tensor);

        int size = SafetensorsDTypes.SizeOf(tensor.DType);
        long tensorStart = _dataStart + tensor.Begin;
        byte[]? scratch = tensor.DType == SafetensorsDTypes.F32 ? null : ArrayPool<byte>.Shared.Rent((int)Math.Min(ConversionChunkBytes, (long)destination.Length * size));
        try
        {
            if (columnCount == columns || rowCount <= 1)
            {
                // Whole rows (or a single row) are one contiguous run of the file.
                ReadFloatsAt(tensor, checked(tensorStart + ((long)rowStart * columns + columnStart) * size), destination, scratch);
            }
            else
            {
                for (int r = 0; r < rowCount; r++)
                {
                    long offset = checked(tensorStart + ((long)(rowStart + r) * columns + columnStart) * size);
                    ReadFloatsAt(tensor, offset, destination.Slice(r * columnCount, columnCount), scratch);
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
        Count(tensor.Name, (long)destination.Length * size);
    }

    /// <summary>A whole F32, BF16 or F16 tensor of any rank, as F32, row-major.</summary>
    /// <exception cref="NotSupportedException">The dtype does not convert to F32, or the tensor exceeds an array.</exception>
    public float[] ReadFloats(string name)
    {
        var tensor = Find(name);
        RequireFloat(tensor);
        int size = SafetensorsDTypes.SizeOf(tensor.DType);
        var values = new float[WholeLength(tensor, size)];
        byte[]? scratch = tensor.DType == SafetensorsDTypes.F32 ? null : ArrayPool<byte>.Shared.Rent((int)Math.Min(ConversionChunkBytes, tensor.ByteLength));
        try
        {
            ReadFloatsAt(tensor, _dataStart + tensor.Begin, values, scratch);
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
        Count(tensor.Name, tensor.ByteLength);
        return values;
    }

    /// <summary>A whole I64 tensor (token ids, <c>position_ids</c>), row-major.</summary>
    /// <exception cref="NotSupportedException">The tensor is not I64, or exceeds an array.</exception>
    public long[] ReadInt64(string name)
    {
        var tensor = Find(name);
        if (tensor.DType != SafetensorsDTypes.I64)
            throw new NotSupportedException(
                $"Tensor '{CheckpointText.Quote(name)}' in checkpoint '{Path}' is {tensor.DType}; ReadInt64 reads I64 tensors only.");
        var values = new long[WholeLength(tensor, sizeof(long))];
        ReadExactly(_file, Path, $"tensor '{CheckpointText.Quote(name)}'", MemoryMarshal.AsBytes(values.AsSpan()), _dataStart + tensor.Begin);
        Count(tensor.Name, tensor.ByteLength);
        return values;
    }

    private TensorEntry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_tensors.TryGetValue(name, out var tensor)) return tensor;
        throw new KeyNotFoundException(
            $"Checkpoint '{Path}' has no tensor '{CheckpointText.Quote(name)}'; the closest of its {_tensors.Count}: {CheckpointText.ClosestNames(name, _tensors.Keys)}.");
    }

    private void RequireFloat(TensorEntry tensor)
    {
        if (!SafetensorsDTypes.ConvertsToFloat(tensor.DType))
            throw new NotSupportedException(
                $"Tensor '{CheckpointText.Quote(tensor.Name)}' in checkpoint '{Path}' is {tensor.DType}; weights read as F32 from {SafetensorsDTypes.FloatDTypes}.");
    }

    private int WholeLength(TensorEntry tensor, int size)
    {
        long elements = tensor.ByteLength / size;
        if (elements > Array.MaxLength)
            throw new NotSupportedException(
                $"Tensor '{CheckpointText.Quote(tensor.Name)}' in checkpoint '{Path}' has {elements} elements, more than one array holds; read it by blocks.");
        return (int)elements;
    }

    private void Count(string tensor, long bytes)
    {
        _meter.Add(bytes, tensor);
        _directoryMeter?.Add(bytes, tensor);
    }

    /// <summary>Reads <c>destination.Length</c> elements of the tensor's dtype at <paramref name="offset"/> as F32.</summary>
    private void ReadFloatsAt(TensorEntry tensor, long offset, Span<float> destination, byte[]? scratch)
    {
        string what = $"tensor '{tensor.Name}'";
        if (scratch is null)
        {
            ReadExactly(_file, Path, what, MemoryMarshal.AsBytes(destination), offset);
            return;
        }
        const int size = sizeof(ushort);
        int chunk = scratch.Length / size;
        for (int done = 0; done < destination.Length; done += chunk)
        {
            int count = Math.Min(chunk, destination.Length - done);
            var bytes = scratch.AsSpan(0, count * size);
            ReadExactly(_file, Path, what, bytes, offset + (long)done * size);
            DTypeConversion.ToSingle(tensor.DType, bytes, destination.Slice(done, count));
        }
    }

    private static void ReadExactly(SafeFileHandle file, string path, string what, Span<byte> bytes, long offset)
    {
        while (!bytes.IsEmpty)
        {
            int read = RandomAccess.Read(file, bytes, offset);
            if (read == 0)
                throw new EndOfStreamException($"Checkpoint '{path}' ends inside {CheckpointText.Quote(what)} (at byte {offset}); was it truncated after opening?");
            bytes = bytes[read..];
            offset += read;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();
}
