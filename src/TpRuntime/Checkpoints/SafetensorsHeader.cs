using System.Text;
using System.Text.Json;

namespace TpCodegen.Checkpoints;

/// <summary>One tensor of a header: its dtype, shape and byte range relative to the start of the data section.</summary>
internal sealed record TensorEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// Parses a safetensors JSON header token by token and applies the reference implementation's rules: every entry
/// holds exactly <c>dtype</c>, <c>shape</c> and <c>data_offsets</c>; no key appears twice; shapes are non-negative with
/// an element count that fits int64 and matches the byte range for the dtype; the ranges tile the data section
/// exactly, without gap or overlap. Nothing is allocated before its size has been checked against
/// <see cref="SafetensorsLimits"/>, so memory stays a small multiple of the header's size whatever it holds.
/// </summary>
internal static class SafetensorsHeader
{
    private const string MetadataKey = "__metadata__";

    public static (Dictionary<string, TensorEntry> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(
        string path, ReadOnlySpan<byte> header, long dataLength, SafetensorsLimits limits)
    {
        var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        try
        {
            Next(ref reader, path);
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Fault(path, "the header is not a JSON object");
            while (Next(ref reader, path) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(MetadataKey))
                {
                    if (sawMetadata) throw Fault(path, $"'{MetadataKey}' appears twice in the header");
                    sawMetadata = true;
                    ParseMetadata(ref reader, path, metadata, limits);
                    continue;
                }
                string name = ReadName(ref reader, path, limits);
                if (tensors.Count >= limits.MaxTensors)
                    throw Fault(path, $"the header lists more than {limits.MaxTensors} tensors");
                var entry = ParseEntry(ref reader, path, name, limits);
                if (!tensors.TryAdd(name, entry))
                    throw Fault(path, $"tensor '{CheckpointText.Quote(name)}' appears twice in the header");
            }
            if (reader.Read())
                throw Fault(path, $"the header continues after its JSON object (at byte {reader.TokenStartIndex})");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the header is not valid JSON: {CheckpointText.Quote(error.Message)}", error);
        }
        catch (InvalidOperationException error)
        {
            // Comparing a key that escapes a lone surrogate (\ud800) cannot unescape it.
            throw new InvalidDataException($"Checkpoint '{path}': the header holds a key that is not valid Unicode text (at byte {reader.TokenStartIndex}).", error);
        }
        CheckTiling(path, tensors.Values, dataLength);
        return (tensors, metadata);
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read())
            throw Fault(path, "the header ends before its JSON object closes");
        return reader.TokenType;
    }

    private static string ReadName(ref Utf8JsonReader reader, string path, SafetensorsLimits limits)
    {
        // An escape such as \u00e9 spells up to 6 bytes of JSON per byte of name: bound the raw text before
        // unescaping it, then the name itself.
        long raw = reader.ValueSpan.Length;
        if (raw > (long)limits.MaxNameBytes * (reader.ValueIsEscaped ? 6 : 1))
            throw Fault(path, $"a tensor name at byte {reader.TokenStartIndex} is {raw} bytes long; names are limited to {limits.MaxNameBytes}");
        string name = ReadString(ref reader, path, "a tensor name");
        if (reader.ValueIsEscaped && Encoding.UTF8.GetByteCount(name) > limits.MaxNameBytes)
            throw Fault(path, $"a tensor name at byte {reader.TokenStartIndex} is {Encoding.UTF8.GetByteCount(name)} bytes long; names are limited to {limits.MaxNameBytes}");
        return name;
    }

    private static string ReadString(ref Utf8JsonReader reader, string path, string what)
    {
        try
        {
            return reader.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            throw Fault(path, $"{what} at byte {reader.TokenStartIndex} is not valid UTF-8 text");
        }
    }

    private static void ParseMetadata(ref Utf8JsonReader reader, string path, Dictionary<string, string> metadata, SafetensorsLimits limits)
    {
        if (Next(ref reader, path) != JsonTokenType.StartObject)
            throw Fault(path, $"'{MetadataKey}' is not an object of strings");
        long bytes = 0;
        while (Next(ref reader, path) == JsonTokenType.PropertyName)
        {
            bytes += reader.ValueSpan.Length;
            if (bytes > limits.MaxMetadataBytes)
                throw Fault(path, $"'{MetadataKey}' holds more than {limits.MaxMetadataBytes} bytes");
            string key = ReadString(ref reader, path, $"a '{MetadataKey}' key");
            if (Next(ref reader, path) != JsonTokenType.String)
                throw Fault(path, $"'{MetadataKey}' entry '{CheckpointText.Quote(key)}' is not a string");
            bytes += reader.ValueSpan.Length;
            if (bytes > limits.MaxMetadataBytes)
                throw Fault(path, $"'{MetadataKey}' holds more than {limits.MaxMetadataBytes} bytes");
            if (!metadata.TryAdd(key, ReadString(ref reader, path, $"'{MetadataKey}' entry '{CheckpointText.Quote(key)}'")))
                throw Fault(path, $"'{MetadataKey}' entry '{CheckpointText.Quote(key)}' appears twice");
        }
    }

    private static TensorEntry ParseEntry(ref Utf8JsonReader reader, string path, string name, SafetensorsLimits limits)
    {
        string quoted = CheckpointText.Quote(name);
        if (Next(ref reader, path) != JsonTokenType.StartObject)
            throw Fault(path, $"tensor '{quoted}' is not an object with dtype, shape and data_offsets");
        string? dtype = null;
        int elementSize = 0;
        long[]? shape = null;
        long begin = -1, end = -1;
        Span<long> dimensions = stackalloc long[limits.MaxDimensions];
        Span<long> offsets = stackalloc long[2];
        while (Next(ref reader, path) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("dtype"))
            {
                if (dtype is not null) throw Fault(path, $"tensor '{quoted}' gives its dtype twice");
                if (Next(ref reader, path) != JsonTokenType.String)
                    throw Fault(path, $"tensor '{quoted}' has a dtype that is not a string");
                // An escaped spelling ("F\u0033\u0032") is still F32; dtype names are short, so unescaping one is cheap.
                bool known = reader.ValueIsEscaped
                    ? reader.ValueSpan.Length <= 64 && SafetensorsDTypes.TryLookup(Encoding.UTF8.GetBytes(ReadString(ref reader, path, "a dtype")), out dtype, out elementSize)
                    : SafetensorsDTypes.TryLookup(reader.ValueSpan, out dtype, out elementSize);
                if (!known)
                    throw Fault(path, $"tensor '{quoted}' has dtype '{CheckpointText.Quote(ReadString(ref reader, path, "a dtype"))}', which safetensors does not define");
            }
            else if (reader.ValueTextEquals("shape"))
            {
                if (shape is not null) throw Fault(path, $"tensor '{quoted}' gives its shape twice");
                int rank = ReadIntegers(ref reader, path, quoted, "shape", dimensions);
                shape = dimensions[..rank].ToArray();
            }
            else if (reader.ValueTextEquals("data_offsets"))
            {
                if (begin >= 0) throw Fault(path, $"tensor '{quoted}' gives its data_offsets twice");
                if (ReadIntegers(ref reader, path, quoted, "data_offsets", offsets) != 2)
                    throw Fault(path, $"tensor '{quoted}' has data_offsets that are not two numbers [begin, end]");
                (begin, end) = (offsets[0], offsets[1]);
                if (end < begin)
                    throw Fault(path, $"tensor '{quoted}' has data_offsets [{begin}, {end}] that end before they begin");
            }
            else
            {
                throw Fault(path, $"tensor '{quoted}' has a key '{CheckpointText.Quote(ReadString(ref reader, path, "a key"))}'; entries hold only dtype, shape and data_offsets");
            }
        }
        if (dtype is null || shape is null || begin < 0)
            throw Fault(path, $"tensor '{quoted}' lacks its {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}");
        CheckByteLength(path, quoted, dtype, elementSize, shape, end - begin);
        return new TensorEntry(name, dtype, shape, begin, end);
    }

    /// <summary>Reads an array of non-negative integers into <paramref name="destination"/>, refusing one longer than it.</summary>
    private static int ReadIntegers(ref Utf8JsonReader reader, string path, string quoted, string key, scoped Span<long> destination)
    {
        if (Next(ref reader, path) != JsonTokenType.StartArray)
            throw Fault(path, $"tensor '{quoted}' has a {key} that is not an array");
        int count = 0;
        while (Next(ref reader, path) != JsonTokenType.EndArray)
        {
            if (count == destination.Length)
                throw Fault(path, $"tensor '{quoted}' has a {key} longer than {destination.Length}");
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value))
                throw Fault(path, $"tensor '{quoted}' has a {key} entry that is not an integer");
            if (value < 0)
                throw Fault(path, $"tensor '{quoted}' has a negative {key} entry {value}");
            destination[count++] = value;
        }
        return count;
    }

    private static void CheckByteLength(string path, string quoted, string dtype, int elementSize, long[] shape, long spanned)
    {
        long bytes;
        try
        {
            long elements = 1;
            foreach (long dimension in shape) elements = checked(elements * dimension);
            bytes = checked(elements * elementSize);
        }
        catch (OverflowException)
        {
            throw Fault(path, $"tensor '{quoted}' has shape {CheckpointText.Shape(shape)}, whose size overflows 64 bits");
        }
        if (bytes != spanned)
            throw Fault(path, $"tensor '{quoted}' is {CheckpointText.Shape(shape)} {dtype} ({bytes} bytes) but its data_offsets span {spanned} bytes");
    }

    /// <summary>The tensors' byte ranges, in order, must cover the data section exactly: no gap, no overlap, nothing after.</summary>
    private static void CheckTiling(string path, IEnumerable<TensorEntry> entries, long dataLength)
    {
        var ordered = entries.ToArray();
        Array.Sort(ordered, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var entry in ordered)
        {
            if (entry.Begin != expected)
                throw Fault(path, entry.Begin < expected
                    ? $"tensor '{CheckpointText.Quote(entry.Name)}' has data_offsets [{entry.Begin}, {entry.End}] overlapping the previous tensor, which ends at {expected}"
                    : $"tensor '{CheckpointText.Quote(entry.Name)}' has data_offsets [{entry.Begin}, {entry.End}], leaving a gap after byte {expected}");
            expected = entry.End;
        }
        if (expected != dataLength)
            throw Fault(path, $"the tensors cover {expected} bytes but the data section holds {dataLength}");
    }

    private static InvalidDataException Fault(string path, string what) => new($"Checkpoint '{path}': {what}.");
}
