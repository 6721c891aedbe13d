using System.Runtime.InteropServices;

namespace TpCodegen.Kernels;

/// <summary>
/// Per-thread packing buffers, 64-byte aligned (one zmm load never splits a cache line).
/// Each rank thread grows its own buffers once and reuses them on every call, so the hot path
/// allocates nothing; the finalizer returns the native memory when the thread (and its holder) dies.
/// </summary>
internal sealed unsafe class GemmScratch
{
    [ThreadStatic] private static GemmScratch? current;

    private float* a;
    private float* b;
    private float* tile;
    private nint aCapacity, bCapacity, tileCapacity;

    public static GemmScratch ForCurrentThread() => current ??= new GemmScratch();

    public float* A(nint floats) => Ensure(ref a, ref aCapacity, floats);

    public float* B(nint floats) => Ensure(ref b, ref bCapacity, floats);

    public float* Tile(nint floats) => Ensure(ref tile, ref tileCapacity, floats);

    private static float* Ensure(ref float* buffer, ref nint capacity, nint floats)
    {
        if (floats > capacity)
        {
            NativeMemory.AlignedFree(buffer);
            buffer = null;
            capacity = 0;
            buffer = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
            capacity = floats;
        }
        return buffer;
    }

    ~GemmScratch()
    {
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(tile);
    }
}
