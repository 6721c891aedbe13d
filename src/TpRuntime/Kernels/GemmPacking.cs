using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TpCodegen.Kernels;

/// <summary>
/// Copies operand blocks into the order the micro-kernels read them, so the inner loop walks memory
/// strictly forward with unit stride and never crosses a page per step.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows <c>[0, mc)</c> x columns <c>[0, kc)</c> of A (row stride <paramref name="lda"/>) as consecutive
    /// row panels whose heights follow <see cref="GemmKernelSet.PanelHeight"/>; inside a panel of height h,
    /// step p holds <c>A[r, p]</c> for its h rows. A panel that starts at row i begins at <c>dst + i * kc</c>.
    /// </summary>
    public static void PackA(GemmKernelSet set, float* a, nint lda, int mc, int kc, float* dst)
    {
        for (int i = 0; i < mc;)
        {
            int h = set.PanelHeight(mc - i);
            float* src = a + i * lda;
            if (h == 1)
            {
                new ReadOnlySpan<float>(src, kc).CopyTo(new Span<float>(dst, kc));
            }
            else
            {
                // Transposing h rows: read each source row once sequentially, scatter with stride h
                // (the destination panel is small enough to stay in L1).
                for (int r = 0; r < h; r++)
                {
                    float* s = src + r * lda;
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++)
                        d[p * h] = s[p];
                }
            }
            dst += h * kc;
            i += h;
        }
    }

    /// <summary>
    /// Packs rows <c>[0, kc)</c> x columns <c>[0, nc)</c> of B (row stride <paramref name="ldb"/>) as panels of
    /// <c>nr</c> columns: panel j (columns <c>[j*nr, j*nr + nr)</c>) starts at <c>dst + j * nr * kc</c> and holds,
    /// for each step p, the nr values <c>B[p, j*nr ..]</c>. Columns past <paramref name="nc"/> are zero.
    /// </summary>
    /// <remarks>
    /// Row by row, so the source (usually the weight, straight from DRAM) is read as long sequential streams the
    /// prefetcher follows; each row is scattered into every panel with whole-register copies (a span copy per
    /// 32 floats cost more in call overhead than the copy itself and made packing dominate small-m products).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, nint ldb, int kc, int nc, int nr, float* dst)
    {
        int full = nc / nr * nr;
        nint panelStride = (nint)nr * kc;
        for (int p = 0; p < kc; p++)
        {
            float* src = b + p * ldb;
            float* d = dst + p * nr;
            if (nr == 32 && Vector512.IsHardwareAccelerated)
            {
                for (int j = 0; j < full; j += 32, d += panelStride)
                {
                    Vector512.Load(src + j).Store(d);
                    Vector512.Load(src + j + 16).Store(d + 16);
                }
            }
            else if (nr % 8 == 0 && Vector256.IsHardwareAccelerated)
            {
                for (int j = 0; j < full; j += nr, d += panelStride)
                    for (int v = 0; v < nr; v += 8)
                        Vector256.Load(src + j + v).Store(d + v);
            }
            else
            {
                for (int j = 0; j < full; j += nr, d += panelStride)
                    new ReadOnlySpan<float>(src + j, nr).CopyTo(new Span<float>(d, nr));
            }
            if (full < nc)
            {
                // Last, narrower panel: valid columns, then zeros up to nr.
                var tail = new Span<float>(d, nr);
                new ReadOnlySpan<float>(src + full, nc - full).CopyTo(tail);
                tail.Slice(nc - full).Clear();
            }
        }
    }
}
