using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TpCodegen.Kernels;

// The tiles below are one pattern unrolled mechanically for each height (C has to live in named locals
// for the JIT to keep it in registers); change one, change them all the same way.
// Each kernel keeps its whole C tile in registers for the full k-slice: per step of k it loads one
// row of the packed B panel, broadcasts one packed A value per row and issues rows x vectors FMAs.
internal static unsafe class GemmKernels256
{
    /// <summary>
    /// 6x16 register tile: 12 Vector256 accumulators, 2 B loads and 6 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile6x16(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector256<float> c0_0;
        Vector256<float> c0_1;
        Vector256<float> c1_0;
        Vector256<float> c1_1;
        Vector256<float> c2_0;
        Vector256<float> c2_1;
        Vector256<float> c3_0;
        Vector256<float> c3_1;
        Vector256<float> c4_0;
        Vector256<float> c4_1;
        Vector256<float> c5_0;
        Vector256<float> c5_1;
        if (accumulate)
        {
            c0_0 = Vector256.Load(c + 0 * ldc + 0);
            c0_1 = Vector256.Load(c + 0 * ldc + 8);
            c1_0 = Vector256.Load(c + 1 * ldc + 0);
            c1_1 = Vector256.Load(c + 1 * ldc + 8);
            c2_0 = Vector256.Load(c + 2 * ldc + 0);
            c2_1 = Vector256.Load(c + 2 * ldc + 8);
            c3_0 = Vector256.Load(c + 3 * ldc + 0);
            c3_1 = Vector256.Load(c + 3 * ldc + 8);
            c4_0 = Vector256.Load(c + 4 * ldc + 0);
            c4_1 = Vector256.Load(c + 4 * ldc + 8);
            c5_0 = Vector256.Load(c + 5 * ldc + 0);
            c5_1 = Vector256.Load(c + 5 * ldc + 8);
        }
        else if (bias != null)
        {
            var bias0 = Vector256.Load(bias + 0);
            var bias1 = Vector256.Load(bias + 8);
            c0_0 = bias0;
            c0_1 = bias1;
            c1_0 = bias0;
            c1_1 = bias1;
            c2_0 = bias0;
            c2_1 = bias1;
            c3_0 = bias0;
            c3_1 = bias1;
            c4_0 = bias0;
            c4_1 = bias1;
            c5_0 = bias0;
            c5_1 = bias1;
        }
        else
        {
            c0_0 = Vector256<float>.Zero;
            c0_1 = Vector256<float>.Zero;
            c1_0 = Vector256<float>.Zero;
            c1_1 = Vector256<float>.Zero;
            c2_0 = Vector256<float>.Zero;
            c2_1 = Vector256<float>.Zero;
            c3_0 = Vector256<float>.Zero;
            c3_1 = Vector256<float>.Zero;
            c4_0 = Vector256<float>.Zero;
            c4_1 = Vector256<float>.Zero;
            c5_0 = Vector256<float>.Zero;
            c5_1 = Vector256<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(a[1]);
            c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(a[2]);
            c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(a[3]);
            c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(a[4]);
            c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0);
            c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(a[5]);
            c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0);
            c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
            a += 6;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 8);
        c1_0.Store(c + 1 * ldc + 0);
        c1_1.Store(c + 1 * ldc + 8);
        c2_0.Store(c + 2 * ldc + 0);
        c2_1.Store(c + 2 * ldc + 8);
        c3_0.Store(c + 3 * ldc + 0);
        c3_1.Store(c + 3 * ldc + 8);
        c4_0.Store(c + 4 * ldc + 0);
        c4_1.Store(c + 4 * ldc + 8);
        c5_0.Store(c + 5 * ldc + 0);
        c5_1.Store(c + 5 * ldc + 8);
    }


    /// <summary>
    /// 4x16 register tile: 8 Vector256 accumulators, 2 B loads and 4 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x16(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector256<float> c0_0;
        Vector256<float> c0_1;
        Vector256<float> c1_0;
        Vector256<float> c1_1;
        Vector256<float> c2_0;
        Vector256<float> c2_1;
        Vector256<float> c3_0;
        Vector256<float> c3_1;
        if (accumulate)
        {
            c0_0 = Vector256.Load(c + 0 * ldc + 0);
            c0_1 = Vector256.Load(c + 0 * ldc + 8);
            c1_0 = Vector256.Load(c + 1 * ldc + 0);
            c1_1 = Vector256.Load(c + 1 * ldc + 8);
            c2_0 = Vector256.Load(c + 2 * ldc + 0);
            c2_1 = Vector256.Load(c + 2 * ldc + 8);
            c3_0 = Vector256.Load(c + 3 * ldc + 0);
            c3_1 = Vector256.Load(c + 3 * ldc + 8);
        }
        else if (bias != null)
        {
            var bias0 = Vector256.Load(bias + 0);
            var bias1 = Vector256.Load(bias + 8);
            c0_0 = bias0;
            c0_1 = bias1;
            c1_0 = bias0;
            c1_1 = bias1;
            c2_0 = bias0;
            c2_1 = bias1;
            c3_0 = bias0;
            c3_1 = bias1;
        }
        else
        {
            c0_0 = Vector256<float>.Zero;
            c0_1 = Vector256<float>.Zero;
            c1_0 = Vector256<float>.Zero;
            c1_1 = Vector256<float>.Zero;
            c2_0 = Vector256<float>.Zero;
            c2_1 = Vector256<float>.Zero;
            c3_0 = Vector256<float>.Zero;
            c3_1 = Vector256<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(a[1]);
            c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(a[2]);
            c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(a[3]);
            c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
            a += 4;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 8);
        c1_0.Store(c + 1 * ldc + 0);
        c1_1.Store(c + 1 * ldc + 8);
        c2_0.Store(c + 2 * ldc + 0);
        c2_1.Store(c + 2 * ldc + 8);
        c3_0.Store(c + 3 * ldc + 0);
        c3_1.Store(c + 3 * ldc + 8);
    }


    /// <summary>
    /// 2x16 register tile: 4 Vector256 accumulators, 2 B loads and 2 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile2x16(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector256<float> c0_0;
        Vector256<float> c0_1;
        Vector256<float> c1_0;
        Vector256<float> c1_1;
        if (accumulate)
        {
            c0_0 = Vector256.Load(c + 0 * ldc + 0);
            c0_1 = Vector256.Load(c + 0 * ldc + 8);
            c1_0 = Vector256.Load(c + 1 * ldc + 0);
            c1_1 = Vector256.Load(c + 1 * ldc + 8);
        }
        else if (bias != null)
        {
            var bias0 = Vector256.Load(bias + 0);
            var bias1 = Vector256.Load(bias + 8);
            c0_0 = bias0;
            c0_1 = bias1;
            c1_0 = bias0;
            c1_1 = bias1;
        }
        else
        {
            c0_0 = Vector256<float>.Zero;
            c0_1 = Vector256<float>.Zero;
            c1_0 = Vector256<float>.Zero;
            c1_1 = Vector256<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(a[1]);
            c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            a += 2;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 8);
        c1_0.Store(c + 1 * ldc + 0);
        c1_1.Store(c + 1 * ldc + 8);
    }


    /// <summary>
    /// 1x16 register tile: 2 Vector256 accumulators, 2 B loads and 1 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile1x16(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector256<float> c0_0;
        Vector256<float> c0_1;
        if (accumulate)
        {
            c0_0 = Vector256.Load(c + 0 * ldc + 0);
            c0_1 = Vector256.Load(c + 0 * ldc + 8);
        }
        else if (bias != null)
        {
            var bias0 = Vector256.Load(bias + 0);
            var bias1 = Vector256.Load(bias + 8);
            c0_0 = bias0;
            c0_1 = bias1;
        }
        else
        {
            c0_0 = Vector256<float>.Zero;
            c0_1 = Vector256<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            a += 1;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 8);
    }
}
