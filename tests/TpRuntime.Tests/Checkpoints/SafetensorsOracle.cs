using System.Buffers.Binary;
using System.Text.Json;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>
/// A second, deliberately plain reading of a safetensors file for the fuzz test: a JSON DOM of the header, the
/// format's rules checked one by one, and each element decoded on its own from the raw bytes. Used only on files
/// the reader accepted, to prove that what it accepted was valid and that it returned the file's numbers.
/// </summary>
internal static class SafetensorsOracle
{
    private static readonly Dictionary<string, int> Sizes = new()
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["F8_E8M0"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2, ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8, ["C64"] = 8,
    };

    public sealed record Entry(string DType, long[] Shape, long Begin, long End);

    /// <summary>The entries of a valid file; an assertion fails on anything the format forbids.</summary>
    public static Dictionary<string, Entry> Entries(byte[] file)
    {
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        Assert.InRange(headerLength, 1, file.Length - 8);
        using var document = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        int metadataCount = 0;
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                metadataCount++;
                var keys = property.Value.EnumerateObject().Select(p => p.Name).ToList();
                Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
                Assert.All(property.Value.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
                continue;
            }
            var fields = property.Value.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["data_offsets", "dtype", "shape"], fields);
            string dtype = property.Value.GetProperty("dtype").GetString()!;
            long[] shape = [.. property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
            long[] offsets = [.. property.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64())];
            Assert.All(shape, d => Assert.True(d >= 0));
            Assert.Equal(2, offsets.Length);
            Assert.True(Sizes.ContainsKey(dtype), dtype);
            Int128 bytes = shape.Aggregate((Int128)Sizes[dtype], (a, d) => a * d);
            Assert.Equal(bytes, (Int128)(offsets[1] - offsets[0]));
            Assert.True(entries.TryAdd(property.Name, new Entry(dtype, shape, offsets[0], offsets[1])), $"duplicate '{property.Name}'");
        }
        Assert.InRange(metadataCount, 0, 1);
        long expected = 0, dataLength = file.Length - 8 - headerLength;
        foreach (var entry in entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            Assert.Equal(expected, entry.Begin);
            expected = entry.End;
        }
        Assert.Equal(dataLength, expected);
        return entries;
    }

    /// <summary>Element <paramref name="index"/> of a float tensor, decoded from the file's bytes by the format's definition.</summary>
    public static float Float(byte[] file, Entry entry, long index)
    {
        int at = (int)(8 + BinaryPrimitives.ReadInt64LittleEndian(file) + entry.Begin);
        return entry.DType switch
        {
            "F32" => BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(at + (int)index * 4)),
            "BF16" => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(at + (int)index * 2)) << 16),
            "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(file.AsSpan(at + (int)index * 2)),
            _ => throw new ArgumentException(entry.DType),
        };
    }

    public static long Int64(byte[] file, Entry entry, long index) =>
        BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan((int)(8 + BinaryPrimitives.ReadInt64LittleEndian(file) + entry.Begin + index * 8)));

    /// <summary>Equal numbers, or both NaN (NaN payloads may differ between conversions).</summary>
    public static bool Same(float a, float b) => float.IsNaN(a) ? float.IsNaN(b) : BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);
}
