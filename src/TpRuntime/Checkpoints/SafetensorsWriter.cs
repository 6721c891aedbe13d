using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TpCodegen.Checkpoints;

/// <summary>
/// Writes tensors to <c>.safetensors</c> files that <see cref="SafetensorsCheckpoint"/> (and other safetensors
/// readers) can read: a dense module saved once so that every rank later loads only its shard, or a Hugging Face
/// model directory (one file, or shards with an index). Files are replaced atomically.
/// </summary>
public static partial class SafetensorsWriter
{
    /// <summary>The index file Hugging Face writes beside sharded weights.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    // Escape only what JSON requires, so a name's bytes in the header are its UTF-8 bytes, as the reader limits them.
    private static readonly JsonWriterOptions HeaderJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An F32 tensor to write: its name, its shape (1-D or 2-D) and its row-major values.</summary>
    public readonly record struct NamedTensor(string Name, int[] Shape, float[] Values);

    /// <summary>Writes F32 <paramref name="tensors"/> to <paramref name="path"/>, in the given order, replacing the file.</summary>
    /// <exception cref="ArgumentException">A tensor the reader would refuse (see <see cref="Tensor"/>), or a name given twice.</exception>
    public static void Write(string path, IEnumerable<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(path, tensors.Select(t => Tensor.F32(t.Name, t.Shape?.Select(d => (long)d).ToArray()!, t.Values)).ToList());
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> in the given order, with an optional
    /// <c>__metadata__</c> map (Hugging Face writes <c>{"format": "pt"}</c>), replacing the file atomically.
    /// </summary>
    /// <exception cref="ArgumentException">A null tensor or metadata value, a name given twice, or a header past the reader's limits.</exception>
    public static void Write(string path, IEnumerable<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        byte[] header = Header(list, metadata);
        // The format pads the header with spaces so the data starts 8-byte aligned.
        int padding = (8 - header.Length % 8) % 8;
        AtomicFile.Write(path, file =>
        {
            file.Write(BitConverter.GetBytes((long)header.Length + padding));
            file.Write(header);
            for (int i = 0; i < padding; i++) file.WriteByte((byte)' ');
            foreach (var tensor in list)
                file.Write(tensor.Data.Span);
        });
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> as a Hugging Face sharded set in <paramref name="directory"/>:
    /// <c>model-00001-of-0000N.safetensors</c> ..., each holding tensors in the given order up to
    /// <paramref name="maxShardBytes"/> of data (a larger tensor gets a shard of its own), and
    /// <see cref="IndexFileName"/> mapping every tensor to its shard. Returns the shard paths.
    /// </summary>
    /// <remarks>A <c>model.safetensors</c> already in the directory is left alone; readers that follow Hugging Face prefer it to the index.</remarks>
    public static IReadOnlyList<string> WriteSharded(string directory, IEnumerable<Tensor> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        var list = tensors.ToList();
        _ = Header(list, metadata); // every check, across shards, before any file is written

        var shards = new List<List<Tensor>> { new() };
        long shardBytes = 0;
        foreach (var tensor in list)
        {
            if (shards[^1].Count > 0 && shardBytes + tensor.Data.Length > maxShardBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1].Add(tensor);
            shardBytes += tensor.Data.Length;
        }

        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        var weightMap = new List<(string Tensor, string File)>();
        for (int s = 0; s < shards.Count; s++)
        {
            string file = $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            Write(Path.Combine(directory, file), shards[s], metadata);
            paths.Add(Path.Combine(directory, file));
            weightMap.AddRange(shards[s].Select(t => (t.Name, file)));
        }
        AtomicFile.Write(Path.Combine(directory, IndexFileName), stream =>
        {
            using var json = new Utf8JsonWriter(stream, HeaderJson with { Indented = true });
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", list.Sum(t => (long)t.Data.Length));
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (tensor, file) in weightMap) json.WriteString(tensor, file);
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return paths;
    }

    /// <summary>The JSON header for <paramref name="tensors"/> laid out back to back, after checking what the reader checks.</summary>
    private static byte[] Header(List<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var limits = SafetensorsLimits.Default;
        if (tensors.Count > limits.MaxTensors)
            throw new ArgumentException($"{tensors.Count} tensors is more than a safetensors file may hold ({limits.MaxTensors}).", nameof(tensors));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (tensor is null) throw new ArgumentException("The tensors include a null.", nameof(tensors));
            if (!names.Add(tensor.Name)) throw new ArgumentException($"Tensor '{CheckpointText.Quote(tensor.Name)}' appears twice.", nameof(tensors));
        }
        CheckMetadata(metadata, limits);

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, HeaderJson))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", tensor.DType);
                writer.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape) writer.WriteNumberValue(dimension);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + tensor.Data.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += tensor.Data.Length;
            }
            writer.WriteEndObject();
        }
        if (json.Length + 8 > limits.MaxHeaderBytes)
            throw new ArgumentException($"The header would take {json.Length} bytes, more than readers accept ({limits.MaxHeaderBytes}).", nameof(tensors));
        return json.ToArray();
    }

    private static void CheckMetadata(IReadOnlyDictionary<string, string>? metadata, SafetensorsLimits limits)
    {
        if (metadata is null) return;
        long bytes = 0;
        foreach (var (key, value) in metadata)
        {
            CheckText(key, "A metadata key");
            if (value is null) throw new ArgumentException($"Metadata '{CheckpointText.Quote(key)}' is null; safetensors metadata maps strings to strings.", nameof(metadata));
            CheckText(value, $"Metadata '{CheckpointText.Quote(key)}'");
            bytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }
        if (bytes > limits.MaxMetadataBytes)
            throw new ArgumentException($"The metadata takes {bytes} bytes, more than readers accept ({limits.MaxMetadataBytes}).", nameof(metadata));
    }

    /// <summary>The tensors of a dense layer as the generated <c>ShardFrom(checkpoint, ...)</c> reads them: <c>prefix + name + ".weight"</c> [in, out] and <c>".bias"</c> [out].</summary>
    public static IEnumerable<NamedTensor> LinearTensors(string prefix, string name, Linear layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        yield return new NamedTensor(prefix + name + ".weight", [layer.InFeatures, layer.OutFeatures], layer.Weight);
        if (layer.Bias is { } bias)
            yield return new NamedTensor(prefix + name + ".bias", [layer.OutFeatures], bias);
    }
}
