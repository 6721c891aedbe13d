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
}
