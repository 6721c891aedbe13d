using System.Numerics.Tensors;

namespace TpCodegen.Kernels;

/// <summary>
/// Dense single-precision matrix multiply for activations <c>[tokens, features]</c>.
/// Layout: everything is row-major; the weight is <c>W: [in, out]</c> (K rows of N), as in <c>y = x @ W + b</c>,
/// so a column-parallel shard is a block of columns and a row-parallel shard a block of rows.
/// </summary>
/// <remarks>
/// A cache-blocked, packed GEMM (GotoBLAS/BLIS structure, see <c>GemmDriver</c>) with Vector512 or Vector256
/// register-tile kernels, and a streaming GEMV for a single row. Single-threaded: it runs on the calling
/// thread (in-process tensor-parallel ranks are threads, each running its own GEMM), with per-thread
/// packing buffers, so it allocates nothing per call once warm.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>
    /// <c>y[m, n] = x[m, k] @ w[k, n] (+ bias[n])</c>. <paramref name="y"/> is overwritten.
    /// Runs on the calling thread.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int m, int k, int n, ReadOnlySpan<float> bias = default)
        => Multiply(GemmKernelSet.Default, x, w, y, m, k, n, bias);

    /// <summary>
    /// Copies <paramref name="w"/> (row-major <c>[k, n]</c>) into the layout the kernel reads, for a weight that is
    /// multiplied many times. The result does not alias <paramref name="w"/>; dispose it when the layer is dropped.
    /// </summary>
    public static PackedWeight Pack(ReadOnlySpan<float> w, int k, int n)
    {
        if (k < 0 || n < 0)
            throw new ArgumentOutOfRangeException(k < 0 ? nameof(k) : nameof(n), $"GEMM weight shape ({k} x {n}) has a negative dimension.");
        if (w.Length < (long)k * n)
            throw new ArgumentException($"GEMM weight w holds {w.Length} floats, fewer than k * n = {k} * {n} = {(long)k * n}.", nameof(w));
        return new PackedWeight(GemmKernelSet.Default, w, k, n);
    }

    /// <summary>
    /// <c>y[m, n] = x[m, k] @ W (+ bias[n])</c> with W packed by <see cref="Pack"/> (k = <c>w.K</c>, n = <c>w.N</c>).
    /// <paramref name="y"/> is overwritten. Runs on the calling thread.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> x, PackedWeight w, Span<float> y, int m, ReadOnlySpan<float> bias = default)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.ThrowIfDisposed();
        int k = w.K, n = w.N;
        CheckShapes(x.Length, k * n, y.Length, bias.Length, m, k, n); // k * n fits: the weight it came from was one span
        if (m == 0 || n == 0) return;
        if (k == 0) { Fill(y.Slice(0, m * n), bias, n); return; }
        if (w.Set is null) Reference(x, w.RowMajor, y, m, k, n, bias);
        else
            fixed (float* xp = x, yp = y, bp = bias)
                GemmDriver.Multiply(w.Set, xp, w, yp, m, bias.IsEmpty ? null : bp);
        // The kernels read w's native memory through raw pointers: keep w (and its finalizer) at bay until they are done.
        GC.KeepAlive(w);
    }

    /// <summary>
    /// <c>dst[cols, rows] = src[rows, cols]</c> transposed, both row-major; for the backward's <c>dY @ W^T</c> and
    /// <c>X^T @ dY</c>, which transpose one operand into a temporary and then run the ordinary <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, ReadOnlySpan{float})"/>.
    /// </summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(rows < 0 ? nameof(rows) : nameof(cols), $"Transpose shape ({rows} x {cols}) has a negative dimension.");
        long count = (long)rows * cols;
        if (src.Length < count)
            throw new ArgumentException($"Transpose source holds {src.Length} floats, fewer than rows * cols = {rows} * {cols} = {count}.", nameof(src));
        if (dst.Length < count)
            throw new ArgumentException($"Transpose destination holds {dst.Length} floats, fewer than rows * cols = {rows} * {cols} = {count}.", nameof(dst));
        fixed (float* from = src, to = dst)
            TransposeTiles(from, rows, cols, to, rows);
    }

    /// <summary>
    /// <see cref="Transpose(ReadOnlySpan{float}, int, int, Span{float})"/> into rows of <paramref name="dstStride"/> floats (≥ <paramref name="rows"/>): the columns
    /// past <paramref name="rows"/> in each destination row are left as they are (a padded vocabulary's zero columns).
    /// </summary>
    internal static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst, int dstStride)
    {
        if (dstStride < rows) throw new ArgumentOutOfRangeException(nameof(dstStride), dstStride, $"A destination row of {dstStride} floats cannot hold {rows}.");
        if (src.Length < (long)rows * cols || dst.Length < (long)cols * dstStride)
            throw new ArgumentException($"Transpose of [{rows}, {cols}] into rows of {dstStride}: source holds {src.Length} floats, destination {dst.Length}.");
        fixed (float* from = src, to = dst)
            TransposeTiles(from, rows, cols, to, dstStride);
    }

    // Tiles of 32 x 32 floats (4 KiB each side) keep both the rows read and the rows written in L1; pointers, because
    // a checkpoint load transposes every [out, in] weight it reads and bounds checks per element halve its speed.
    private static void TransposeTiles(float* src, int rows, int cols, float* dst, int dstStride)
    {
        const int Tile = 32;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        {
            int r1 = Math.Min(r0 + Tile, rows);
            for (int c0 = 0; c0 < cols; c0 += Tile)
            {
                int c1 = Math.Min(c0 + Tile, cols);
                for (int c = c0; c < c1; c++)
                {
                    float* column = src + (long)r0 * cols + c;
                    float* written = dst + (long)c * dstStride;
                    for (int r = r0; r < r1; r++, column += cols) written[r] = *column;
                }
            }
        }
    }

    /// <summary>Same as the public entry, with the kernel set chosen by the caller (tests run every set this machine supports; null is the scalar reference).</summary>
    internal static void Multiply(GemmKernelSet? set,
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int m, int k, int n, ReadOnlySpan<float> bias)
    {
        CheckShapes(x.Length, w.Length, y.Length, bias.Length, m, k, n);
        if (m == 0 || n == 0) return;
        if (k == 0) { Fill(y.Slice(0, m * n), bias, n); return; }
        if (set is null) { Reference(x, w, y, m, k, n, bias); return; }
        fixed (float* xp = x, wp = w, yp = y, bp = bias)
        {
            float* biasPtr = bias.IsEmpty ? null : bp;
            if (m == 1) GemmGemv.Multiply(xp, wp, yp, k, n, biasPtr);
            else GemmDriver.Multiply(set, xp, wp, yp, m, k, n, biasPtr);
        }
    }

    /// <summary>The row-at-a-time form, for machines without 256-bit vectors.</summary>
    private static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int m, int k, int n, ReadOnlySpan<float> bias)
    {
        for (int i = 0; i < m; i++)
        {
            var yRow = y.Slice(i * n, n);
            if (bias.IsEmpty) yRow.Clear(); else bias.CopyTo(yRow);
            var xRow = x.Slice(i * k, k);
            for (int p = 0; p < k; p++)
                TensorPrimitives.MultiplyAdd(w.Slice(p * n, n), xRow[p], yRow, yRow);
        }
    }

    /// <summary>k = 0: the product is empty, so each row is the bias (or zero).</summary>
    private static void Fill(Span<float> y, ReadOnlySpan<float> bias, int n)
    {
        for (int i = 0; i < y.Length; i += n)
        {
            if (bias.IsEmpty) y.Slice(i, n).Clear(); else bias.CopyTo(y.Slice(i, n));
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
