using System.Numerics;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;

namespace TpCodegen.Checkpoints;

/// <summary>Conversions between the 16-bit float formats of checkpoints and F32, vectorised.</summary>
internal static class DTypeConversion
{
    /// <summary>BF16 to F32 is exact: the BF16 bits are the upper half of the F32 bits.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var bits = MemoryMarshal.Cast<byte, ushort>(source);
        var output = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= bits.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(bits[i..]), out Vector<uint> low, out Vector<uint> high);
                Vector.ShiftLeft(low, 16).CopyTo(output[i..]);
                Vector.ShiftLeft(high, 16).CopyTo(output[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < bits.Length; i++)
            output[i] = (uint)bits[i] << 16;
    }

    /// <summary>F16 to F32 is exact (every half is a float); the library's conversion is vectorised.</summary>
    public static void HalfToSingle(ReadOnlySpan<byte> source, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);

    /// <summary>F32 to BF16 rounding to nearest, ties to even, as PyTorch's <c>.to(torch.bfloat16)</c> does; NaN stays a quiet NaN.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x0040);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>
    /// Elements of <paramref name="dtype"/> (F32, BF16 or F16) as F32: F32 bytes are copied,
    /// the 16-bit formats converted.
    /// </summary>
    public static void ToSingle(string dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case SafetensorsDTypes.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case SafetensorsDTypes.BF16: BFloat16ToSingle(source, destination); break;
            case SafetensorsDTypes.F16: HalfToSingle(source, destination); break;
            default: throw new InvalidOperationException($"No conversion from {dtype} to F32.");
        }
    }
}
