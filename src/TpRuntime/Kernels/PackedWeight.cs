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
        Fill(w);
    }

    private void Fill(ReadOnlySpan<float> w)
    {
        int k = K, n = N;
        if (Set is null)
        {
            // No vector kernel on this machine: keep a plain row-major copy for the scalar reference.
            w.Slice(0, k * n).CopyTo(new Span<float>(data, k * n));
            return;
        }
        fixed (float* wp = w)
        {
            for (int pc = 0; pc < k; pc += Set.Kc)
            {
                int kc = Math.Min(Set.Kc, k - pc);
                GemmPacking.PackB(wp + (nint)pc * n, n, kc, n, Set.Nr, data + pc * paddedN);
            }
        }
    }

    /// <summary>
    /// Packs new values of the same <c>[K, N]</c> weight into this copy, in place: how an optimizer step updates a layer
    /// whose forward reads only the packed form, without allocating a new one.
    /// </summary>
    public void Repack(ReadOnlySpan<float> w)
    {
        ThrowIfDisposed();
        if (w.Length != (long)K * N)
            throw new ArgumentException($"Repacking a [{K}, {N}] weight needs {(long)K * N} floats; got {w.Length}.", nameof(w));
        Fill(w);
        // A weight being trained keeps W^T for its backward: refill that copy in place from the same new values (one fast
        // transpose and a pack), rather than dropping it for the next backward to rebuild from the panels into fresh memory.
        if (Volatile.Read(ref _transposed) is { } transposed) transposed.FillTransposeOf(w);
    }

    /// <summary>Packs the transpose of <paramref name="w"/> (<c>[N, K]</c> row-major, this copy's own <c>[K, N]</c> transposed) into this copy.</summary>
    private void FillTransposeOf(ReadOnlySpan<float> w)
    {
        int length = K * N;
        var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(length);
        try
        {
            Gemm.Transpose(w, N, K, scratch.AsSpan(0, length));
            Fill(scratch.AsSpan(0, length));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }

    // W^T packed, made by the first backward that needs dx = dY @ W^T and refilled by each Repack: without it every
    // backward would unpack W^T and pack it again (two passes over the weight) before its GEMM. Inference never makes it.
    private PackedWeight? _transposed;

    /// <summary><c>W^T: [N, K]</c>, packed: built on first use from this copy, refilled in place by <see cref="Repack"/>.</summary>
    internal PackedWeight Transposed()
    {
        ThrowIfDisposed();
        if (Volatile.Read(ref _transposed) is { } ready) return ready;
        var transposed = new float[(long)K * N];
        Unpack(transposed, transposed: true);
        var made = new PackedWeight(Set, transposed, N, K);
        // Two threads backpropagating through one weight (ranks sharing a dense module) may both build it: keep one.
        if (Interlocked.CompareExchange(ref _transposed, made, null) is { } other)
        {
            made.Dispose();
            return other;
        }
        return made;
    }

    private void DropTransposed() => Interlocked.Exchange(ref _transposed, null)?.Dispose();

    /// <summary>Writes the weight <c>[K, N]</c> row-major into <paramref name="destination"/>: the values the packed copy holds.</summary>
    public void CopyTo(Span<float> destination) => Unpack(destination, transposed: false);

    // Reads the packed panels back into a row-major W (or W^T): the layout of the remarks, walked slice by slice.
    private void Unpack(Span<float> destination, bool transposed)
    {
        ThrowIfDisposed();
        if (destination.Length != (long)K * N)
            throw new ArgumentException($"{(transposed ? "The transpose of a" : "A")} [{K}, {N}] weight needs {(long)K * N} floats; destination holds {destination.Length}.", nameof(destination));
        if (Set is null)
        {
            if (transposed) Gemm.Transpose(RowMajor, K, N, destination);
            else RowMajor.CopyTo(destination);
            return;
        }
        int kcMax = Set.Kc, nr = Set.Nr;
        for (int pc = 0; pc < K; pc += kcMax)
        {
            int kc = Math.Min(kcMax, K - pc);
            for (int jc = 0; jc < N; jc += nr)
            {
                // Panel layout (see the remarks): row p of the slice holds Nr consecutive columns from jc.
                float* panel = data + pc * paddedN + (nint)jc * kc;
                int width = Math.Min(nr, N - jc);
                for (int p = 0; p < kc; p++)
                    for (int v = 0; v < width; v++)
                    {
                        int row = pc + p, column = jc + v;
                        destination[transposed ? column * K + row : row * N + column] = panel[p * nr + v];
                    }
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

    /// <summary>
    /// Writes the transpose of the weight, <c>W^T: [N, K]</c> row-major, into <paramref name="destination"/>: what a
    /// backward pass multiplies by (<c>dx = dy @ W^T</c>), recovered from the packed copy so that a layer need not
    /// keep its weight twice.
    /// </summary>
    public void CopyTransposedTo(Span<float> destination) => Unpack(destination, transposed: true);

    /// <summary>
    /// Writes column <paramref name="column"/> of the weight (<c>K</c> values, one per row) into
    /// <paramref name="destination"/>: how a tied or vocabulary-parallel embedding, which keeps its table only in the
    /// packed form its logits GEMM reads (<c>E^T</c>), looks up one id.
    /// </summary>
    // Hot from the first token of a generation: compiled optimised at once, not through tiered JIT's slow first tier.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void CopyColumnTo(int column, Span<float> destination)
    {
        ThrowIfDisposed();
        if ((uint)column >= (uint)N)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"A [{K}, {N}] weight has no column {column}.");
        if (destination.Length < K)
            throw new ArgumentException($"Column {column} of a [{K}, {N}] weight needs {K} floats; destination holds {destination.Length}.", nameof(destination));
        if (Set is null)
        {
            for (int p = 0; p < K; p++) destination[p] = data[(nint)p * N + column];
            return;
        }
        int kcMax = Set.Kc, nr = Set.Nr;
        int panelStart = column / nr * nr, lane = column - panelStart;
        for (int pc = 0; pc < K; pc += kcMax)
        {
            int kc = Math.Min(kcMax, K - pc);
            float* panel = data + pc * paddedN + (nint)panelStart * kc + lane;
            for (int p = 0; p < kc; p++) destination[pc + p] = panel[p * nr];
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(data == null, this);

    /// <summary>Frees the packed copy.</summary>
    public void Dispose()
    {
        DropTransposed();
        NativeMemory.AlignedFree(data);
        data = null;
        GC.SuppressFinalize(this);
    }

    ~PackedWeight() => NativeMemory.AlignedFree(data);
}
