using System.Runtime.InteropServices;
using System.Text.Json;
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
/// Tensors must be F32, row-major, 2-D as this runtime stores them (a layer's weight <c>[in, out]</c>); a 1-D tensor
/// <c>[n]</c> reads as <c>[1, n]</c>, so a bias may be stored either way. Reads may run from several threads at once.
/// </remarks>
public sealed class SafetensorsCheckpoint : ICheckpointShardSource, IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly long _dataStart;
    private readonly Dictionary<string, TensorEntry> _tensors;

    private sealed record TensorEntry(string DType, long[] Shape, long Begin, long End);

    private SafetensorsCheckpoint(string path, SafeFileHandle file, long dataStart, Dictionary<string, TensorEntry> tensors)
    {
        Path = path;
        _file = file;
        _dataStart = dataStart;
        _tensors = tensors;
    }

    /// <summary>The file, for messages.</summary>
    public string Path { get; }

    /// <summary>The tensor names in the file, in ordinal order.</summary>
    public IReadOnlyList<string> TensorNames => _tensors.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Opens <paramref name="path"/> and reads its header; the data stays on disk until a block is asked for.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is not a safetensors header; the message names the file and the fault.</exception>
    public static SafetensorsCheckpoint Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(file);
            Span<byte> prefix = stackalloc byte[8];
            if (length < 8 || RandomAccess.Read(file, prefix, 0) != 8)
                throw new InvalidDataException($"Checkpoint '{path}' is {length} bytes: too short for a safetensors header.");
            long headerLength = BitConverter.ToInt64(prefix);
            if (headerLength <= 0 || headerLength > length - 8 || headerLength > 100 * 1024 * 1024)
                throw new InvalidDataException($"Checkpoint '{path}' declares a {headerLength}-byte header in a {length}-byte file: not a safetensors file.");
            var header = new byte[headerLength];
            RandomAccess.Read(file, header, 8);
            long dataStart = 8 + headerLength;
            return new SafetensorsCheckpoint(path, file, dataStart, ParseHeader(path, header, length - dataStart));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <inheritdoc/>
    public void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination)
    {
        if (!_tensors.TryGetValue(name, out var tensor))
            throw new KeyNotFoundException(
                $"Checkpoint '{Path}' has no tensor '{name}'; it has {_tensors.Count}: {string.Join(", ", TensorNames.Take(12))}{(_tensors.Count > 12 ? ", ..." : "")}.");
        var (fileRows, fileColumns) = tensor.Shape.Length == 1 ? (1L, tensor.Shape[0]) : (tensor.Shape[0], tensor.Shape[1]);
        if (fileRows != rows || fileColumns != columns)
            throw new InvalidDataException(
                $"Tensor '{name}' in checkpoint '{Path}' is [{string.Join(", ", tensor.Shape)}], but the layer expects [{rows}, {columns}].");
        if (rowStart < 0 || rowCount < 0 || rowStart + rowCount > rows || columnStart < 0 || columnCount < 0 || columnStart + columnCount > columns)
            throw new ArgumentOutOfRangeException(nameof(rowStart),
                $"Block rows [{rowStart}, {rowStart + rowCount}) x columns [{columnStart}, {columnStart + columnCount}) lies outside tensor '{name}' [{rows}, {columns}].");
        if (destination.Length != (long)rowCount * columnCount)
            throw new ArgumentException($"Reading tensor '{name}': the destination holds {destination.Length} floats, the block {(long)rowCount * columnCount}.", nameof(destination));

        long tensorStart = _dataStart + tensor.Begin;
        if (columnCount == columns)
        {
            // Whole rows are one contiguous run of the file.
            ReadExactly(name, destination, tensorStart + (long)rowStart * columns * sizeof(float));
            return;
        }
        for (int r = 0; r < rowCount; r++)
        {
            long offset = tensorStart + ((long)(rowStart + r) * columns + columnStart) * sizeof(float);
            ReadExactly(name, destination.Slice(r * columnCount, columnCount), offset);
        }
    }

    private void ReadExactly(string name, Span<float> destination, long offset)
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        while (!bytes.IsEmpty)
        {
            int read = RandomAccess.Read(_file, bytes, offset);
            if (read == 0)
                throw new EndOfStreamException($"Checkpoint '{Path}' ends inside tensor '{name}' (at byte {offset}).");
            bytes = bytes[read..];
            offset += read;
        }
    }

    private static Dictionary<string, TensorEntry> ParseHeader(string path, byte[] header, long dataLength)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; this reader does not convert it on a big-endian machine.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the header is not valid JSON: {error.Message}", error);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"Checkpoint '{path}': the header is not a JSON object.");
            var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                if (!tensors.TryAdd(property.Name, ParseEntry(path, property.Name, property.Value, dataLength)))
                    throw new InvalidDataException($"Checkpoint '{path}': tensor '{property.Name}' appears twice in the header.");
            }
            return tensors;
        }
    }

    private static TensorEntry ParseEntry(string path, string name, JsonElement entry, long dataLength)
    {
        try
        {
            string dtype = entry.GetProperty("dtype").GetString() ?? "";
            long[] shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (dtype != "F32")
                throw new InvalidDataException($"Tensor '{name}' in checkpoint '{path}' is {dtype}; this runtime reads F32 tensors only.");
            if (shape.Length is < 1 or > 2)
                throw new InvalidDataException($"Tensor '{name}' in checkpoint '{path}' has {shape.Length} dimensions; layers read 1-D or 2-D tensors.");
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                throw new InvalidDataException($"Tensor '{name}' in checkpoint '{path}' has data_offsets [{string.Join(", ", offsets)}] outside the {dataLength}-byte data section.");
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            if (offsets[1] - offsets[0] != elements * sizeof(float))
                throw new InvalidDataException(
                    $"Tensor '{name}' in checkpoint '{path}' is [{string.Join(", ", shape)}] F32 ({elements * sizeof(float)} bytes) but its data_offsets span {offsets[1] - offsets[0]} bytes.");
            return new TensorEntry(dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception error) when (error is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Tensor '{name}' in checkpoint '{path}' lacks a valid dtype, shape or data_offsets: {error.Message}", error);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();
}
