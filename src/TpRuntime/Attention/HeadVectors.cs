using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TpCodegen;

/// <summary>
/// Attention's per-key loops for one query row and head: every key and value is one head-wide vector (64 floats for
/// Llama), and a library call per key cost more than its arithmetic. With the head width a whole number of
/// <see cref="Vector{T}"/>s the loops run on vector spans directly; otherwise through <see cref="TensorPrimitives"/>.
/// The forward and the training backward share them.
/// </summary>
internal static class HeadVectors
{
    /// <summary><c>scores[j] = dot(row, vectors[first + j * stride ..]) * scale</c> for <c>j</c> in <c>[0, scores.Length)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dots(ReadOnlySpan<float> row, ReadOnlySpan<float> vectors, int first, int stride, Span<float> scores, float scale)
    {
        int width = row.Length;
        if (width % Vector<float>.Count != 0)
        {
            for (int j = 0; j < scores.Length; j++)
                scores[j] = TensorPrimitives.Dot(row, vectors.Slice(first + j * stride, width)) * scale;
            return;
        }
        var r = MemoryMarshal.Cast<float, Vector<float>>(row);
        for (int j = 0; j < scores.Length; j++)
        {
            var other = MemoryMarshal.Cast<float, Vector<float>>(vectors.Slice(first + j * stride, width));
            var sum = Vector<float>.Zero;
            for (int v = 0; v < r.Length; v++) sum += r[v] * other[v];
            scores[j] = Vector.Sum(sum) * scale;
        }
    }

    /// <summary><c>target += weights[j] * vectors[first + j * stride ..]</c> for <c>j</c> in <c>[0, weights.Length)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddWeighted(ReadOnlySpan<float> vectors, int first, int stride, ReadOnlySpan<float> weights, Span<float> target)
    {
        int width = target.Length;
        if (width % Vector<float>.Count != 0)
        {
            for (int j = 0; j < weights.Length; j++)
                TensorPrimitives.MultiplyAdd(vectors.Slice(first + j * stride, width), weights[j], target, target);
            return;
        }
        var t = MemoryMarshal.Cast<float, Vector<float>>(target);
        for (int j = 0; j < weights.Length; j++)
        {
            var other = MemoryMarshal.Cast<float, Vector<float>>(vectors.Slice(first + j * stride, width));
            var w = new Vector<float>(weights[j]);
            for (int v = 0; v < t.Length; v++) t[v] += w * other[v];
        }
    }
}
