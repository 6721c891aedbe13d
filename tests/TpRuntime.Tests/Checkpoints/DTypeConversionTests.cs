using System.Runtime.InteropServices;
using TpCodegen.Checkpoints;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>BF16 and F16 to F32 against values worked out by hand from the bit layouts, and F32 to BF16 rounding.</summary>
public sealed class DTypeConversionTests
{
    // BF16: sign, 8 exponent bits (bias 127), 7 mantissa bits.
    [Theory]
    [InlineData(0x3F80, 1.0f)]
    [InlineData(0xC040, -3.0f)]          // -1.5 * 2^1
    [InlineData(0x3E20, 0.15625f)]       // 1.25 * 2^-3
    [InlineData(0x4049, 3.140625f)]      // (1 + 73/128) * 2
    [InlineData(0x8000, -0.0f)]
    [InlineData(0x0001, 9.18354961579912e-41f)] // the smallest subnormal, 2^-133
    [InlineData(0x7F7F, 3.3895313892515355e38f)] // the largest finite, (2 - 2^-7) * 2^127
    [InlineData(0x7F80, float.PositiveInfinity)]
    [InlineData(0xFF80, float.NegativeInfinity)]
    public void BFloat16_converts_exactly(int bits, float expected)
    {
        var result = new float[1];
        DTypeConversion.BFloat16ToSingle(BitConverter.GetBytes((ushort)bits), result);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(result[0]));
    }

    // F16: sign, 5 exponent bits (bias 15), 10 mantissa bits.
    [Theory]
    [InlineData(0x3C00, 1.0f)]
    [InlineData(0xB800, -0.5f)]
    [InlineData(0x3555, 0.333251953125f)]  // (1 + 341/1024) * 2^-2
    [InlineData(0x7BFF, 65504f)]           // the largest finite
    [InlineData(0x0400, 6.103515625e-05f)] // the smallest normal, 2^-14
    [InlineData(0x0001, 5.9604644775390625e-08f)] // the smallest subnormal, 2^-24
    [InlineData(0x8000, -0.0f)]
    [InlineData(0x7C00, float.PositiveInfinity)]
    public void Half_converts_exactly(int bits, float expected)
    {
        var result = new float[1];
        DTypeConversion.HalfToSingle(BitConverter.GetBytes((ushort)bits), result);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(result[0]));
    }

    [Fact]
    public void NaN_stays_NaN_both_ways()
    {
        var result = new float[2];
        DTypeConversion.BFloat16ToSingle(BitConverter.GetBytes((ushort)0x7FC1), result.AsSpan(0, 1));
        DTypeConversion.HalfToSingle(BitConverter.GetBytes((ushort)0x7E00), result.AsSpan(1, 1));
        Assert.True(float.IsNaN(result[0]) && float.IsNaN(result[1]));
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)DTypeConversion.SingleToBFloat16(float.NaN) << 16)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(1000)]
    public void Every_length_converts_each_element_through_the_vector_loop_and_its_tail(int length)
    {
        var random = new Random(length);
        var bits = new ushort[length];
        for (int i = 0; i < length; i++) bits[i] = (ushort)random.Next(0, 0x10000);
        var bf16 = new float[length];
        var f16 = new float[length];
        DTypeConversion.BFloat16ToSingle(MemoryMarshal.AsBytes(bits.AsSpan()), bf16);
        DTypeConversion.HalfToSingle(MemoryMarshal.AsBytes(bits.AsSpan()), f16);
        for (int i = 0; i < length; i++)
        {
            // The definitions: BF16 is the upper half of an F32; F16 widens exactly.
            Assert.Equal((uint)bits[i] << 16, BitConverter.SingleToUInt32Bits(bf16[i]));
            float half = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            Assert.True(float.IsNaN(half) ? float.IsNaN(f16[i]) : BitConverter.SingleToUInt32Bits(half) == BitConverter.SingleToUInt32Bits(f16[i]), $"element {i}");
        }
    }

    // BF16 keeps 7 mantissa bits: from 1.0 the step is 2^-7, so 1 + 2^-8 lies exactly halfway.
    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)]      // 1 + 2^-8: a tie, to the even 1.0
    [InlineData(1.01171875f, 0x3F82)]      // 1 + 3 * 2^-8: a tie between 0x3F81 and 0x3F82, to the even one
    [InlineData(1.0039072f, 0x3F81)]       // just past 1 + 2^-8: up
    [InlineData(1.0039054f, 0x3F80)]       // just short of it: down
    [InlineData(-3.0f, 0xC040)]
    [InlineData(3.4028235e38f, 0x7F80)]    // float.MaxValue rounds past the largest BF16 to infinity
    [InlineData(-0.0f, 0x8000)]
    public void Rounding_to_BFloat16_is_to_nearest_even(float value, int expected) =>
        Assert.Equal(expected, DTypeConversion.SingleToBFloat16(value));
}
