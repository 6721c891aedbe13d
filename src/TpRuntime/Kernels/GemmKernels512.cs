using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TpCodegen.Kernels;

// The tiles below are one pattern unrolled mechanically for each height (C has to live in named locals
// for the JIT to keep it in registers); change one, change them all the same way.
// Each kernel keeps its whole C tile in registers for the full k-slice: per step of k it loads one
// row of the packed B panel, broadcasts one packed A value per row and issues rows x vectors FMAs.
internal static unsafe class GemmKernels512
{
    /// <summary>
    /// 12x32 register tile: 24 Vector512 accumulators, 2 B loads and 12 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile12x32(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector512<float> c0_0;
        Vector512<float> c0_1;
        Vector512<float> c1_0;
        Vector512<float> c1_1;
        Vector512<float> c2_0;
        Vector512<float> c2_1;
        Vector512<float> c3_0;
        Vector512<float> c3_1;
        Vector512<float> c4_0;
        Vector512<float> c4_1;
        Vector512<float> c5_0;
        Vector512<float> c5_1;
        Vector512<float> c6_0;
        Vector512<float> c6_1;
        Vector512<float> c7_0;
        Vector512<float> c7_1;
        Vector512<float> c8_0;
        Vector512<float> c8_1;
        Vector512<float> c9_0;
        Vector512<float> c9_1;
        Vector512<float> c10_0;
        Vector512<float> c10_1;
        Vector512<float> c11_0;
        Vector512<float> c11_1;
        if (accumulate)
        {
            c0_0 = Vector512.Load(c + 0 * ldc + 0);
            c0_1 = Vector512.Load(c + 0 * ldc + 16);
            c1_0 = Vector512.Load(c + 1 * ldc + 0);
            c1_1 = Vector512.Load(c + 1 * ldc + 16);
            c2_0 = Vector512.Load(c + 2 * ldc + 0);
            c2_1 = Vector512.Load(c + 2 * ldc + 16);
            c3_0 = Vector512.Load(c + 3 * ldc + 0);
            c3_1 = Vector512.Load(c + 3 * ldc + 16);
            c4_0 = Vector512.Load(c + 4 * ldc + 0);
            c4_1 = Vector512.Load(c + 4 * ldc + 16);
            c5_0 = Vector512.Load(c + 5 * ldc + 0);
            c5_1 = Vector512.Load(c + 5 * ldc + 16);
            c6_0 = Vector512.Load(c + 6 * ldc + 0);
            c6_1 = Vector512.Load(c + 6 * ldc + 16);
            c7_0 = Vector512.Load(c + 7 * ldc + 0);
            c7_1 = Vector512.Load(c + 7 * ldc + 16);
            c8_0 = Vector512.Load(c + 8 * ldc + 0);
            c8_1 = Vector512.Load(c + 8 * ldc + 16);
            c9_0 = Vector512.Load(c + 9 * ldc + 0);
            c9_1 = Vector512.Load(c + 9 * ldc + 16);
            c10_0 = Vector512.Load(c + 10 * ldc + 0);
            c10_1 = Vector512.Load(c + 10 * ldc + 16);
            c11_0 = Vector512.Load(c + 11 * ldc + 0);
            c11_1 = Vector512.Load(c + 11 * ldc + 16);
        }
        else if (bias != null)
        {
            var bias0 = Vector512.Load(bias + 0);
            var bias1 = Vector512.Load(bias + 16);
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
            c6_0 = bias0;
            c6_1 = bias1;
            c7_0 = bias0;
            c7_1 = bias1;
            c8_0 = bias0;
            c8_1 = bias1;
            c9_0 = bias0;
            c9_1 = bias1;
            c10_0 = bias0;
            c10_1 = bias1;
            c11_0 = bias0;
            c11_1 = bias1;
        }
        else
        {
            c0_0 = Vector512<float>.Zero;
            c0_1 = Vector512<float>.Zero;
            c1_0 = Vector512<float>.Zero;
            c1_1 = Vector512<float>.Zero;
            c2_0 = Vector512<float>.Zero;
            c2_1 = Vector512<float>.Zero;
            c3_0 = Vector512<float>.Zero;
            c3_1 = Vector512<float>.Zero;
            c4_0 = Vector512<float>.Zero;
            c4_1 = Vector512<float>.Zero;
            c5_0 = Vector512<float>.Zero;
            c5_1 = Vector512<float>.Zero;
            c6_0 = Vector512<float>.Zero;
            c6_1 = Vector512<float>.Zero;
            c7_0 = Vector512<float>.Zero;
            c7_1 = Vector512<float>.Zero;
            c8_0 = Vector512<float>.Zero;
            c8_1 = Vector512<float>.Zero;
            c9_0 = Vector512<float>.Zero;
            c9_1 = Vector512<float>.Zero;
            c10_0 = Vector512<float>.Zero;
            c10_1 = Vector512<float>.Zero;
            c11_0 = Vector512<float>.Zero;
            c11_1 = Vector512<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]);
            c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]);
            c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]);
            c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]);
            c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0);
            c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]);
            c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0);
            c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]);
            c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0);
            c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]);
            c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0);
            c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(a[8]);
            c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0);
            c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(a[9]);
            c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0);
            c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(a[10]);
            c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0);
            c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(a[11]);
            c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0);
            c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
            a += 12;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 16);
        c1_0.Store(c + 1 * ldc + 0);
        c1_1.Store(c + 1 * ldc + 16);
        c2_0.Store(c + 2 * ldc + 0);
        c2_1.Store(c + 2 * ldc + 16);
        c3_0.Store(c + 3 * ldc + 0);
        c3_1.Store(c + 3 * ldc + 16);
        c4_0.Store(c + 4 * ldc + 0);
        c4_1.Store(c + 4 * ldc + 16);
        c5_0.Store(c + 5 * ldc + 0);
        c5_1.Store(c + 5 * ldc + 16);
        c6_0.Store(c + 6 * ldc + 0);
        c6_1.Store(c + 6 * ldc + 16);
        c7_0.Store(c + 7 * ldc + 0);
        c7_1.Store(c + 7 * ldc + 16);
        c8_0.Store(c + 8 * ldc + 0);
        c8_1.Store(c + 8 * ldc + 16);
        c9_0.Store(c + 9 * ldc + 0);
        c9_1.Store(c + 9 * ldc + 16);
        c10_0.Store(c + 10 * ldc + 0);
        c10_1.Store(c + 10 * ldc + 16);
        c11_0.Store(c + 11 * ldc + 0);
        c11_1.Store(c + 11 * ldc + 16);
    }


    /// <summary>
    /// 8x32 register tile: 16 Vector512 accumulators, 2 B loads and 8 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile8x32(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector512<float> c0_0;
        Vector512<float> c0_1;
        Vector512<float> c1_0;
        Vector512<float> c1_1;
        Vector512<float> c2_0;
        Vector512<float> c2_1;
        Vector512<float> c3_0;
        Vector512<float> c3_1;
        Vector512<float> c4_0;
        Vector512<float> c4_1;
        Vector512<float> c5_0;
        Vector512<float> c5_1;
        Vector512<float> c6_0;
        Vector512<float> c6_1;
        Vector512<float> c7_0;
        Vector512<float> c7_1;
        if (accumulate)
        {
            c0_0 = Vector512.Load(c + 0 * ldc + 0);
            c0_1 = Vector512.Load(c + 0 * ldc + 16);
            c1_0 = Vector512.Load(c + 1 * ldc + 0);
            c1_1 = Vector512.Load(c + 1 * ldc + 16);
            c2_0 = Vector512.Load(c + 2 * ldc + 0);
            c2_1 = Vector512.Load(c + 2 * ldc + 16);
            c3_0 = Vector512.Load(c + 3 * ldc + 0);
            c3_1 = Vector512.Load(c + 3 * ldc + 16);
            c4_0 = Vector512.Load(c + 4 * ldc + 0);
            c4_1 = Vector512.Load(c + 4 * ldc + 16);
            c5_0 = Vector512.Load(c + 5 * ldc + 0);
            c5_1 = Vector512.Load(c + 5 * ldc + 16);
            c6_0 = Vector512.Load(c + 6 * ldc + 0);
            c6_1 = Vector512.Load(c + 6 * ldc + 16);
            c7_0 = Vector512.Load(c + 7 * ldc + 0);
            c7_1 = Vector512.Load(c + 7 * ldc + 16);
        }
        else if (bias != null)
        {
            var bias0 = Vector512.Load(bias + 0);
            var bias1 = Vector512.Load(bias + 16);
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
            c6_0 = bias0;
            c6_1 = bias1;
            c7_0 = bias0;
            c7_1 = bias1;
        }
        else
        {
            c0_0 = Vector512<float>.Zero;
            c0_1 = Vector512<float>.Zero;
            c1_0 = Vector512<float>.Zero;
            c1_1 = Vector512<float>.Zero;
            c2_0 = Vector512<float>.Zero;
            c2_1 = Vector512<float>.Zero;
            c3_0 = Vector512<float>.Zero;
            c3_1 = Vector512<float>.Zero;
            c4_0 = Vector512<float>.Zero;
            c4_1 = Vector512<float>.Zero;
            c5_0 = Vector512<float>.Zero;
            c5_1 = Vector512<float>.Zero;
            c6_0 = Vector512<float>.Zero;
            c6_1 = Vector512<float>.Zero;
            c7_0 = Vector512<float>.Zero;
            c7_1 = Vector512<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]);
            c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]);
            c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]);
            c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]);
            c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0);
            c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]);
            c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0);
            c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]);
            c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0);
            c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]);
            c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0);
            c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
            a += 8;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 16);
        c1_0.Store(c + 1 * ldc + 0);
        c1_1.Store(c + 1 * ldc + 16);
        c2_0.Store(c + 2 * ldc + 0);
        c2_1.Store(c + 2 * ldc + 16);
        c3_0.Store(c + 3 * ldc + 0);
        c3_1.Store(c + 3 * ldc + 16);
        c4_0.Store(c + 4 * ldc + 0);
        c4_1.Store(c + 4 * ldc + 16);
        c5_0.Store(c + 5 * ldc + 0);
        c5_1.Store(c + 5 * ldc + 16);
        c6_0.Store(c + 6 * ldc + 0);
        c6_1.Store(c + 6 * ldc + 16);
        c7_0.Store(c + 7 * ldc + 0);
        c7_1.Store(c + 7 * ldc + 16);
    }


    /// <summary>
    /// 4x32 register tile: 8 Vector512 accumulators, 2 B loads and 4 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x32(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector512<float> c0_0;
        Vector512<float> c0_1;
        Vector512<float> c1_0;
        Vector512<float> c1_1;
        Vector512<float> c2_0;
        Vector512<float> c2_1;
        Vector512<float> c3_0;
        Vector512<float> c3_1;
        if (accumulate)
        {
            c0_0 = Vector512.Load(c + 0 * ldc + 0);
            c0_1 = Vector512.Load(c + 0 * ldc + 16);
            c1_0 = Vector512.Load(c + 1 * ldc + 0);
            c1_1 = Vector512.Load(c + 1 * ldc + 16);
            c2_0 = Vector512.Load(c + 2 * ldc + 0);
            c2_1 = Vector512.Load(c + 2 * ldc + 16);
            c3_0 = Vector512.Load(c + 3 * ldc + 0);
            c3_1 = Vector512.Load(c + 3 * ldc + 16);
        }
        else if (bias != null)
        {
            var bias0 = Vector512.Load(bias + 0);
            var bias1 = Vector512.Load(bias + 16);
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
            c0_0 = Vector512<float>.Zero;
            c0_1 = Vector512<float>.Zero;
            c1_0 = Vector512<float>.Zero;
            c1_1 = Vector512<float>.Zero;
            c2_0 = Vector512<float>.Zero;
            c2_1 = Vector512<float>.Zero;
            c3_0 = Vector512<float>.Zero;
            c3_1 = Vector512<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]);
            c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]);
            c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]);
            c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            a += 4;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 16);
        c1_0.Store(c + 1 * ldc + 0);
        c1_1.Store(c + 1 * ldc + 16);
        c2_0.Store(c + 2 * ldc + 0);
        c2_1.Store(c + 2 * ldc + 16);
        c3_0.Store(c + 3 * ldc + 0);
        c3_1.Store(c + 3 * ldc + 16);
    }


    /// <summary>
    /// 2x32 register tile: 4 Vector512 accumulators, 2 B loads and 2 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile2x32(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector512<float> c0_0;
        Vector512<float> c0_1;
        Vector512<float> c1_0;
        Vector512<float> c1_1;
        if (accumulate)
        {
            c0_0 = Vector512.Load(c + 0 * ldc + 0);
            c0_1 = Vector512.Load(c + 0 * ldc + 16);
            c1_0 = Vector512.Load(c + 1 * ldc + 0);
            c1_1 = Vector512.Load(c + 1 * ldc + 16);
        }
        else if (bias != null)
        {
            var bias0 = Vector512.Load(bias + 0);
            var bias1 = Vector512.Load(bias + 16);
            c0_0 = bias0;
            c0_1 = bias1;
            c1_0 = bias0;
            c1_1 = bias1;
        }
        else
        {
            c0_0 = Vector512<float>.Zero;
            c0_1 = Vector512<float>.Zero;
            c1_0 = Vector512<float>.Zero;
            c1_1 = Vector512<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]);
            c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            a += 2;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 16);
        c1_0.Store(c + 1 * ldc + 0);
        c1_1.Store(c + 1 * ldc + 16);
    }


    /// <summary>
    /// 1x32 register tile: 2 Vector512 accumulators, 2 B loads and 1 broadcasts of A per step of k.
    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile1x32(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)
    {
        Vector512<float> c0_0;
        Vector512<float> c0_1;
        if (accumulate)
        {
            c0_0 = Vector512.Load(c + 0 * ldc + 0);
            c0_1 = Vector512.Load(c + 0 * ldc + 16);
        }
        else if (bias != null)
        {
            var bias0 = Vector512.Load(bias + 0);
            var bias1 = Vector512.Load(bias + 16);
            c0_0 = bias0;
            c0_1 = bias1;
        }
        else
        {
            c0_0 = Vector512<float>.Zero;
            c0_1 = Vector512<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            a += 1;
            b += bStride;
        }

        c0_0.Store(c + 0 * ldc + 0);
        c0_1.Store(c + 0 * ldc + 16);
    }
}
