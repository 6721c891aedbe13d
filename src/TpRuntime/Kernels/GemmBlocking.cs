using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TpCodegen.Kernels;

/// <summary>
/// One register-tile shape with the cache blocking that feeds it (GotoBLAS/BLIS loop nest):
/// <list type="bullet">
/// <item><c>Nr</c> columns x <c>Mr</c> rows: the micro-kernel's C tile, all in registers.</item>
/// <item><c>Kc</c>: the depth of one packed slice. A <c>Kc x Nr</c> panel of B should stay in L1/L2 while
/// every A panel of the block streams past it; the C tile is loaded and stored once per <c>Kc</c> steps.</item>
/// <item><c>Mc</c>: rows of the packed A block (<c>Mc x Kc</c>), sized to sit in the per-core L2.</item>
/// <item><c>Nc</c>: columns of the packed B block (<c>Kc x Nc</c>), sized for a slice of the shared L3.</item>
/// </list>
/// </summary>
internal sealed unsafe class GemmKernelSet
{
    // Zen 4 (the target): 32 KiB L1d, 1 MiB L2 per core, 32 MiB L3 shared.
    // 12x32 with Vector512 uses 24 of the 32 zmm registers for C, 2 for B and leaves room for broadcasts;
    // at Kc = 384 a B panel is 48 KiB (L1 + L2) and the A block 288 x 384 x 4 B = 432 KiB (under half of L2);
    // the B block 384 x 4096 x 4 B = 6 MiB stays well inside L3 even with the other core's block beside it.
    // Measured single-thread on Zen 4 (thread CPU time, ours / OpenBLAS 0.3.21 with its default Cooperlake kernels,
    // interleaved; relative comparisons taken while tuning, not the final numbers; 2048x4096x4096 |
    // 512x4096x11008 | 64x4096x4096): this set 0.98 | 0.98 | 1.00; a 14x32 tile the same within noise;
    // Kc 512 / Mc 240 0.98 | 0.97 | 0.96; Kc 256 / Mc 336 0.94 | 0.94 | 0.98; Mc 144 0.95 | 0.98 | 0.96;
    // the Vector256 6x16 set on the same machine 0.93 | 0.89 | 0.78 (Zen 4 splits a zmm FMA into two ymm
    // halves, but the wider tile halves the loads and loop overhead per flop), and a 12x16 Vector256 tile using
    // the 32 EVEX ymm registers 0.80 | 0.83 | 0.99.
    public static readonly GemmKernelSet Avx512 = new(
        "Vector512 12x32", mr: 12, nr: 32, kc: 384, mc: 288, nc: 4096, heights: [12, 8, 4, 2, 1]);

    // AVX2: 16 ymm registers, so a 6x16 tile (12 accumulators + 2 B + 1 broadcast) is the largest that fits.
    // The A block 192 x 256 x 4 B = 192 KiB fits a typical 256 KiB-1 MiB L2; B panel 256 x 16 x 4 B = 16 KiB in L1.
    public static readonly GemmKernelSet Avx256 = new(
        "Vector256 6x16", mr: 6, nr: 16, kc: 256, mc: 192, nc: 2048, heights: [6, 4, 2, 1]);

    /// <summary>The set the public entry points use on this machine, or null where neither vector width is accelerated.</summary>
    public static GemmKernelSet? Default { get; } =
        Vector512.IsHardwareAccelerated ? Avx512 :
        Vector256.IsHardwareAccelerated ? Avx256 : null;

    public string Name { get; }
    public int Mr { get; }
    public int Nr { get; }
    public int Kc { get; }
    public int Mc { get; }
    public int Nc { get; }

    // Tile heights a kernel exists for, largest first: the tail rows of an A block are covered by
    // smaller exact-height tiles instead of a zero-padded full tile, which matters when m is small (m = 64 → 5x12 + 4).
    private readonly int[] heights;

    private GemmKernelSet(string name, int mr, int nr, int kc, int mc, int nc, int[] heights)
    {
        if (mc % mr != 0 || nc % nr != 0)
            throw new InvalidOperationException($"GEMM blocking {name}: Mc must be a multiple of Mr and Nc of Nr.");
        Name = name;
        Mr = mr;
        Nr = nr;
        Kc = kc;
        Mc = mc;
        Nc = nc;
        this.heights = heights;
    }

    public bool IsSupported => Nr == 32 ? Vector512.IsHardwareAccelerated : Vector256.IsHardwareAccelerated;

    /// <summary>Height of the next row panel when <paramref name="remaining"/> rows are left in the block.</summary>
    public int PanelHeight(int remaining)
    {
        foreach (int h in heights)
            if (h <= remaining) return h;
        throw new InvalidOperationException("GEMM: no panel height for zero rows.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Tile(int height, int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        if (Nr == 32)
        {
            switch (height)
            {
                case 12: GemmKernels512.Tile12x32(kc, a, b, bStride, c, ldc, bias, accumulate); return;
                case 8: GemmKernels512.Tile8x32(kc, a, b, bStride, c, ldc, bias, accumulate); return;
                case 4: GemmKernels512.Tile4x32(kc, a, b, bStride, c, ldc, bias, accumulate); return;
                case 2: GemmKernels512.Tile2x32(kc, a, b, bStride, c, ldc, bias, accumulate); return;
                case 1: GemmKernels512.Tile1x32(kc, a, b, bStride, c, ldc, bias, accumulate); return;
            }
        }
        else
        {
            switch (height)
            {
                case 6: GemmKernels256.Tile6x16(kc, a, b, bStride, c, ldc, bias, accumulate); return;
                case 4: GemmKernels256.Tile4x16(kc, a, b, bStride, c, ldc, bias, accumulate); return;
                case 2: GemmKernels256.Tile2x16(kc, a, b, bStride, c, ldc, bias, accumulate); return;
                case 1: GemmKernels256.Tile1x16(kc, a, b, bStride, c, ldc, bias, accumulate); return;
            }
        }
        throw new InvalidOperationException($"GEMM {Name}: no {height}-row tile.");
    }

    public override string ToString() => Name;
}
