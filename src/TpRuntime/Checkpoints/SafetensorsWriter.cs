using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TpCodegen.Checkpoints;

/// <summary>
/// Writes F32 tensors to a <c>.safetensors</c> file that <see cref="SafetensorsCheckpoint"/> (and other safetensors
/// readers) can read: for saving a dense module once, so that every rank later loads only its shard.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>A tensor to write: its name, its shape (1-D or 2-D) and its row-major values.</summary>
    public readonly record struct NamedTensor(string Name, int[] Shape, float[] Values);

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, in the given order, replacing the file.</summary>
    public static void Write(string path, IEnumerable<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            long offset = 0;
            foreach (var tensor in list)
            {
                long elements = tensor.Shape.Aggregate(1L, (a, b) => a * b);
                if (elements != tensor.Values.Length)
                    throw new ArgumentException($"Tensor '{tensor.Name}' is [{string.Join(", ", tensor.Shape)}] ({elements} values) but holds {tensor.Values.Length}.", nameof(tensors));
                if (!names.Add(tensor.Name))
                    throw new ArgumentException($"Tensor '{tensor.Name}' appears twice.", nameof(tensors));
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", "F32");
                writer.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape) writer.WriteNumberValue(dimension);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + elements * sizeof(float));
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += elements * sizeof(float);
            }
            writer.WriteEndObject();
        }
        // The format pads the header with spaces so the data starts 8-byte aligned.
        int padding = (int)((8 - json.Length % 8) % 8);
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes(json.Length + padding));
        file.Write(json.GetBuffer().AsSpan(0, (int)json.Length));
        file.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        foreach (var tensor in list)
            file.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
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
