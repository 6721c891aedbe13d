using System.Runtime.InteropServices;

namespace TpCodegen.Kernels;

/// <summary>
/// A weight <c>W: [k, n]</c> (row-major, <c>[in, out]</c>) copied once into the order the GEMM micro-kernel
/// reads it, so a layer that multiplies by the same weight many times skips the per-call packing of B
/// (one full read and write of the weight), which dominates when the token count m is small.
/// Create with <see cref="Gemm.Pack"/>; use with <see cref="Gemm.Multiply(ReadOnlySpan{float}, PackedWeight, Span{float}, int, ReadOnlySpan{float})"/>.
/// </summary>
/// <remarks>
/// Layout (an implementation detail of this process: never persist it): the rows are cut into slices of
/// <c>Kc</c> rows (the last may be shorter, <c>kc</c> rows); slice s starts at <c>s * Kc * Np</c> floats, where
/// <c>Np</c> is n rounded up to the tile width <c>Nr</c>. Inside a slice, column panel j (columns
/// <c>[j * Nr, j * Nr + Nr)</c>) starts at <c>j * Nr * kc</c> and holds, for each row p of the slice, the
/// <c>Nr</c> values of that row in those columns; columns past n are zero. Kc and Nr depend on the
/// vector width of the machine (Vector512: 384 x 32; Vector256: 256 x 16; without either, a plain row-major copy). The buffer is 64-byte aligned
/// native memory; <see cref="Dispose"/> frees it (the finalizer does so too). Multiplies may run
/// concurrently from several threads; do not dispose while one runs.
/// </remarks>
public sealed unsafe class PackedWeight : IDisposable
{
    private float* data;
    private readonly nint paddedN;

    internal PackedWeight(GemmKernelSet? set, ReadOnlySpan<float> w, int k, int n)
    {
        Set = set;
        K = k;
        N = n;
        paddedN = set is null ? n : (n + set.Nr - 1) / set.Nr * set.Nr;
        nint floats = Math.Max(1, paddedN * k);
        data = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
        if (set is null)
        {
            // No vector kernel on this machine: keep a plain row-major copy for the scalar reference.
            w.Slice(0, k * n).CopyTo(new Span<float>(data, k * n));
            return;
        }
        fixed (float* wp = w)
        {
            for (int pc = 0; pc < k; pc += set.Kc)
            {
                int kc = Math.Min(set.Kc, k - pc);
                GemmPacking.PackB(wp + (nint)pc * n, n, kc, n, set.Nr, data + pc * paddedN);
            }
        }
    }

    /// <summary>Rows of the weight (input features).</summary>
    public int K { get; }

    /// <summary>Columns of the weight (output features).</summary>
    public int N { get; }

    /// <summary>The kernel set the layout was made for; null means a plain row-major copy (no vector kernels here).</summary>
    internal GemmKernelSet? Set { get; }

    /// <summary>The plain row-major copy kept when <see cref="Set"/> is null.</summary>
    internal ReadOnlySpan<float> RowMajor
    {
        get
        {
            ThrowIfDisposed();
            return new ReadOnlySpan<float>(data, K * N);
        }
    }

    /// <summary>First packed panel of the slice starting at row <paramref name="pc"/>, column <paramref name="jc"/> (a multiple of Nr).</summary>
    internal float* Slice(int pc, int jc)
    {
        ThrowIfDisposed();
        int kc = Math.Min(Set!.Kc, K - pc);
        return data + pc * paddedN + (nint)jc * kc;
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(data == null, this);

    /// <summary>Frees the packed copy.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(data);
        data = null;
        GC.SuppressFinalize(this);
    }

    ~PackedWeight() => NativeMemory.AlignedFree(data);
}
