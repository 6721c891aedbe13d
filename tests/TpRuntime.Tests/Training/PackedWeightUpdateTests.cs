using TpCodegen.Kernels;

namespace TpCodegen.Tests.Training;

/// <summary>
/// What an optimizer step relies on: a packed weight reads back as the row-major values it was packed from, and
/// repacking new values in place makes the GEMM multiply by the new values, for a shape past one packing slice (k above
/// Kc) whose columns do not fill the last tile.
/// </summary>
public sealed class PackedWeightUpdateTests
{
    [Fact]
    public void Copy_and_repack_round_trip()
    {
        const int k = 300, n = 37, m = 3;
        var first = GradientCheck.Random(k * n, seed: 1);
        var second = GradientCheck.Random(k * n, seed: 2);
        using var packed = Gemm.Pack(first, k, n);
        var copy = new float[k * n];
        packed.CopyTo(copy);
        Assert.Equal(first, copy);

        packed.Repack(second);
        packed.CopyTo(copy);
        Assert.Equal(second, copy);
        var x = GradientCheck.Random(m * k, seed: 3);
        var viaPacked = new float[m * n];
        var viaPlain = new float[m * n];
        Gemm.Multiply(x, packed, viaPacked, m);
        Gemm.Multiply(x, second, viaPlain, m, k, n);
        for (int i = 0; i < viaPlain.Length; i++)
            Assert.True(Math.Abs(viaPlain[i] - viaPacked[i]) <= 1e-4f * (1 + Math.Abs(viaPlain[i])), $"element {i}: {viaPacked[i]} packed vs {viaPlain[i]}");
        Assert.Throws<ArgumentException>(() => packed.Repack(new float[k * n - 1]));
    }

    // The backward multiplies by W^T packed once and kept: a step that repacks W must refill it, not leave the old W^T behind.
    [Fact]
    public void The_input_gradient_follows_a_repacked_weight()
    {
        const int k = 300, n = 37, m = 5;
        var first = GradientCheck.Random(k * n, seed: 4);
        var second = GradientCheck.Random(k * n, seed: 5);
        var dy = GradientCheck.Random(m * n, seed: 6);
        using var packed = Gemm.Pack(first, k, n);
        var dx = new float[m * k];

        Parallel.Generated.ShardKernels.InputGradient(dy, packed, dx, m);
        AssertInputGradient(dy, first, dx, m, k, n);
        var transposed = packed.Transposed();
        packed.Repack(second);
        Parallel.Generated.ShardKernels.InputGradient(dy, packed, dx, m);
        AssertInputGradient(dy, second, dx, m, k, n);
        // Refilled in place, not rebuilt into fresh memory on the next backward.
        Assert.Same(transposed, packed.Transposed());
    }

    // dx[t, i] = sum over o of dy[t, o] * w[i, o], in double.
    private static void AssertInputGradient(float[] dy, float[] w, float[] dx, int m, int k, int n)
    {
        for (int t = 0; t < m; t++)
            for (int i = 0; i < k; i++)
            {
                double expected = 0;
                for (int o = 0; o < n; o++) expected += (double)dy[t * n + o] * w[i * n + o];
                Assert.True(Math.Abs(dx[t * k + i] - expected) <= 1e-4 * (1 + Math.Abs(expected)), $"dx[{t}, {i}] = {dx[t * k + i]}, expected {expected}");
            }
    }
}
