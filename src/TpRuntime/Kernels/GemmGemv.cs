using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TpCodegen.Kernels;

/// <summary>
/// <c>m = 1</c> (one token, decode): <c>y[n] = x[k] @ w[k, n]</c> reads every weight exactly once and does
/// 2 flops per weight, so it is bound by memory bandwidth, not FMA throughput. Packing B would double the
/// memory traffic, so this path streams the row-major weight directly, four rows at a time, keeping the
/// output row (n floats) hot in L1/L2 and letting the hardware prefetcher follow four sequential streams.
/// </summary>
internal static unsafe class GemmGemv
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(float* x, float* w, float* y, int k, int n, float* bias)
    {
        if (bias != null) new ReadOnlySpan<float>(bias, n).CopyTo(new Span<float>(y, n));
        else new Span<float>(y, n).Clear();

        int p = 0;
        for (; p + 4 <= k; p += 4)
        {
            float* r0 = w + (nint)p * n;
            float* r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
            float x0 = x[p], x1 = x[p + 1], x2 = x[p + 2], x3 = x[p + 3];
            int j = Vector512.IsHardwareAccelerated ? Rows4x512(x0, x1, x2, x3, r0, r1, r2, r3, y, n)
                  : Vector256.IsHardwareAccelerated ? Rows4x256(x0, x1, x2, x3, r0, r1, r2, r3, y, n) : 0;
            for (; j < n; j++)
                y[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
        }
        for (; p < k; p++)
        {
            float* r0 = w + (nint)p * n;
            float x0 = x[p];
            for (int j = 0; j < n; j++)
                y[j] += x0 * r0[j];
        }
    }

    private static int Rows4x512(float x0, float x1, float x2, float x3, float* r0, float* r1, float* r2, float* r3, float* y, int n)
    {
        var v0 = Vector512.Create(x0);
        var v1 = Vector512.Create(x1);
        var v2 = Vector512.Create(x2);
        var v3 = Vector512.Create(x3);
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            var acc = Vector512.Load(y + j);
            acc = Vector512.FusedMultiplyAdd(v0, Vector512.Load(r0 + j), acc);
            acc = Vector512.FusedMultiplyAdd(v1, Vector512.Load(r1 + j), acc);
            acc = Vector512.FusedMultiplyAdd(v2, Vector512.Load(r2 + j), acc);
            acc = Vector512.FusedMultiplyAdd(v3, Vector512.Load(r3 + j), acc);
            acc.Store(y + j);
        }
        return j;
    }

    private static int Rows4x256(float x0, float x1, float x2, float x3, float* r0, float* r1, float* r2, float* r3, float* y, int n)
    {
        var v0 = Vector256.Create(x0);
        var v1 = Vector256.Create(x1);
        var v2 = Vector256.Create(x2);
        var v3 = Vector256.Create(x3);
        int j = 0;
        for (; j + 8 <= n; j += 8)
        {
            var acc = Vector256.Load(y + j);
            acc = Vector256.FusedMultiplyAdd(v0, Vector256.Load(r0 + j), acc);
            acc = Vector256.FusedMultiplyAdd(v1, Vector256.Load(r1 + j), acc);
            acc = Vector256.FusedMultiplyAdd(v2, Vector256.Load(r2 + j), acc);
            acc = Vector256.FusedMultiplyAdd(v3, Vector256.Load(r3 + j), acc);
            acc.Store(y + j);
        }
        return j;
    }
}
