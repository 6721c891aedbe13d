using System.Runtime.InteropServices;
using System.Numerics.Tensors;
using System.Text;

namespace TpCodegen.Checkpoints;

public static partial class SafetensorsWriter
{
    /// <summary>
    /// A tensor to write, in any dtype the reader reads and of any rank: its name, dtype, shape and little-endian
    /// bytes. Made through <see cref="F32"/>, <see cref="BF16"/>, <see cref="F16"/> or <see cref="I64"/>, which refuse
    /// what <see cref="SafetensorsCheckpoint"/> would refuse to read back.
    /// </summary>
    public sealed class Tensor
    {
        private readonly long[] _shape;

        private Tensor(string name, string dtype, long[] shape, byte[] data)
        {
            Name = name;
            DType = dtype;
            _shape = shape;
            Data = data;
        }

        /// <summary>The tensor's name in the header.</summary>
        public string Name { get; }

        /// <summary><c>F32</c>, <c>BF16</c>, <c>F16</c> or <c>I64</c>.</summary>
        public string DType { get; }

        /// <summary>The shape, outermost dimension first (empty for a scalar).</summary>
        public IReadOnlyList<long> Shape => _shape;

        /// <summary>The row-major little-endian bytes as they go to the file.</summary>
        public ReadOnlyMemory<byte> Data { get; }

        /// <summary>An F32 tensor of <paramref name="values"/>, stored exactly.</summary>
        public static Tensor F32(string name, long[] shape, float[] values)
        {
            var checkedShape = Check(name, shape, values?.Length);
            return new Tensor(name, SafetensorsDTypes.F32, checkedShape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }

        /// <summary>A BF16 tensor of <paramref name="values"/> rounded to nearest, ties to even (as PyTorch rounds).</summary>
        public static Tensor BF16(string name, long[] shape, float[] values)
        {
            var checkedShape = Check(name, shape, values?.Length);
            var bits = new ushort[values!.Length];
            for (int i = 0; i < bits.Length; i++) bits[i] = DTypeConversion.SingleToBFloat16(values[i]);
            return new Tensor(name, SafetensorsDTypes.BF16, checkedShape, MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
        }

        /// <summary>An F16 tensor of <paramref name="values"/> rounded to nearest, ties to even.</summary>
        public static Tensor F16(string name, long[] shape, float[] values)
        {
            var checkedShape = Check(name, shape, values?.Length);
            var halves = new Half[values!.Length];
            TensorPrimitives.ConvertToHalf(values, halves);
            return new Tensor(name, SafetensorsDTypes.F16, checkedShape, MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
        }

        /// <summary>An I64 tensor (token ids, position ids).</summary>
        public static Tensor I64(string name, long[] shape, long[] values)
        {
            var checkedShape = Check(name, shape, values?.Length);
            return new Tensor(name, SafetensorsDTypes.I64, checkedShape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }

        /// <summary>The reader's rules, applied before anything is written: a copy of the shape, once it passes.</summary>
        private static long[] Check(string name, long[] shape, int? valueCount)
        {
            CheckText(name, "A tensor name");
            if (name == "__metadata__")
                throw new ArgumentException("A tensor cannot be named '__metadata__': that key holds the header's metadata, and readers skip it.", nameof(name));
            if (Encoding.UTF8.GetByteCount(name) > SafetensorsLimits.Default.MaxNameBytes)
                throw new ArgumentException($"Tensor name '{CheckpointText.Quote(name)}' is longer than {SafetensorsLimits.Default.MaxNameBytes} UTF-8 bytes.", nameof(name));
            ArgumentNullException.ThrowIfNull(shape);
            if (valueCount is null)
                throw new ArgumentNullException("values", $"Tensor '{CheckpointText.Quote(name)}' has no values (null).");
            if (shape.Length > SafetensorsLimits.Default.MaxDimensions)
                throw new ArgumentException($"Tensor '{CheckpointText.Quote(name)}' has {shape.Length} dimensions; at most {SafetensorsLimits.Default.MaxDimensions}.", nameof(shape));
            long elements = 1;
            foreach (long dimension in shape)
            {
                if (dimension < 0)
                    throw new ArgumentException($"Tensor '{CheckpointText.Quote(name)}' has a negative dimension in {CheckpointText.Shape(shape)}.", nameof(shape));
                elements = dimension == 0 || elements <= long.MaxValue / dimension ? elements * dimension : long.MaxValue;
            }
            if (elements != valueCount)
                throw new ArgumentException(
                    $"Tensor '{CheckpointText.Quote(name)}' is {CheckpointText.Shape(shape)} ({elements} values) but holds {valueCount}.", nameof(shape));
            return (long[])shape.Clone();
        }
    }

    /// <summary>Refuses null text and text that is not valid UTF-16 (a lone surrogate has no UTF-8 form).</summary>
    private static void CheckText(string? text, string what)
    {
        if (text is null)
            throw new ArgumentNullException(nameof(text), $"{what} is null.");
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF')) return;
        try
        {
            _ = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"{what} '{CheckpointText.Quote(text)}' holds a lone surrogate, which UTF-8 cannot encode.", nameof(text));
        }
    }
}
