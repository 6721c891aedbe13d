using System.Numerics.Tensors;

namespace TpCodegen.Kernels;

/// <summary>
/// Dense single-precision matrix multiply for activations <c>[tokens, features]</c>.
/// Layout: everything is row-major; the weight is <c>W: [in, out]</c> (K rows of N), as in <c>y = x @ W + b</c>,
/// so a column-parallel shard is a block of columns and a row-parallel shard a block of rows.
/// </summary>
public static class Gemm
{
    /// <summary>
    /// <c>y[m, n] = x[m, k] @ w[k, n] (+ bias[n])</c>. <paramref name="y"/> is overwritten.
    /// Runs on the calling thread.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int m, int k, int n, ReadOnlySpan<float> bias = default)
    {
        CheckShapes(x.Length, w.Length, y.Length, bias.Length, m, k, n);
        for (int i = 0; i < m; i++)
        {
            var yRow = y.Slice(i * n, n);
            if (bias.IsEmpty) yRow.Clear(); else bias.CopyTo(yRow);
            var xRow = x.Slice(i * k, k);
            for (int p = 0; p < k; p++)
                TensorPrimitives.MultiplyAdd(w.Slice(p * n, n), xRow[p], yRow, yRow);
        }
    }

    internal static void CheckShapes(int xLength, int wLength, int yLength, int biasLength, int m, int k, int n)
    {
        if (m < 0 || k < 0 || n < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM shape ({m} x {k}) @ ({k} x {n}) has a negative dimension.");
        if (xLength < (long)m * k)
            throw new ArgumentException($"GEMM input x holds {xLength} floats, fewer than m * k = {m} * {k} = {(long)m * k}.", "x");
        if (wLength < (long)k * n)
            throw new ArgumentException($"GEMM weight w holds {wLength} floats, fewer than k * n = {k} * {n} = {(long)k * n}.", "w");
        if (yLength < (long)m * n)
            throw new ArgumentException($"GEMM output y holds {yLength} floats, fewer than m * n = {m} * {n} = {(long)m * n}.", "y");
        if (biasLength != 0 && biasLength != n)
            throw new ArgumentException($"GEMM bias holds {biasLength} floats; it must hold n = {n} or be empty.", "bias");
    }
}
