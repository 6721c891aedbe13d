namespace TpCodegen.Checkpoints;

/// <summary>The dtypes of the safetensors format, their element sizes, and which of them this runtime converts.</summary>
internal static class SafetensorsDTypes
{
    public const string F32 = "F32";
    public const string BF16 = "BF16";
    public const string F16 = "F16";
    public const string I64 = "I64";

    // Every fixed-width dtype the format defines; a header naming another one is refused because its byte length
    // cannot be checked against the shape.
    private static readonly (string Name, int Size)[] Known =
    [
        ("BOOL", 1), ("U8", 1), ("I8", 1), ("F8_E5M2", 1), ("F8_E4M3", 1), ("F8_E8M0", 1),
        ("I16", 2), ("U16", 2), (F16, 2), (BF16, 2),
        ("I32", 4), ("U32", 4), (F32, 4),
        ("I64", 8), ("U64", 8), ("F64", 8), ("C64", 8),
    ];

    /// <summary>The dtypes <see cref="SafetensorsCheckpoint.ReadBlock"/> and <c>ReadFloats</c> convert to F32.</summary>
    public const string FloatDTypes = "F32, BF16, F16";

    public static bool ConvertsToFloat(string dtype) => dtype is F32 or BF16 or F16;

    /// <summary>The interned name and size of the dtype spelled by <paramref name="utf8"/>, without allocating.</summary>
    public static bool TryLookup(ReadOnlySpan<byte> utf8, out string name, out int size)
    {
        foreach (var (known, knownSize) in Known)
        {
            if (utf8.Length == known.Length && Matches(utf8, known))
            {
                (name, size) = (known, knownSize);
                return true;
            }
        }
        (name, size) = ("", 0);
        return false;
    }

    public static int SizeOf(string dtype)
    {
        foreach (var (known, size) in Known)
            if (known == dtype) return size;
        throw new ArgumentException($"'{CheckpointText.Quote(dtype)}' is not a safetensors dtype; known: {string.Join(", ", Known.Select(k => k.Name))}.", nameof(dtype));
    }

    private static bool Matches(ReadOnlySpan<byte> utf8, string ascii)
    {
        for (int i = 0; i < ascii.Length; i++)
            if (utf8[i] != ascii[i]) return false;
        return true;
    }
}
