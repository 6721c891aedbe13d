using TpCodegen.Kernels;

namespace TpCodegen.Tests.Kernels;

/// <summary>The packed copy gives back the exact transpose the backward multiplies by, across slices and edge panels.</summary>
public class PackedWeightTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 33)]
    [InlineData(385, 31)]    // one row past a 384-row slice, a panel narrower than 32
    [InlineData(1000, 70)]   // several slices, two full panels and a partial one
    public void CopyTransposedTo_returns_the_transpose_of_the_packed_weight(int k, int n)
    {
        var random = new Random(k * 31 + n);
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++) w[i] = (float)random.NextDouble();
        using var packed = Gemm.Pack(w, k, n);

        var transposed = new float[k * n];
        packed.CopyTransposedTo(transposed);

        for (int r = 0; r < k; r++)
            for (int c = 0; c < n; c++)
                if (transposed[c * k + r] != w[r * n + c])
                    Assert.Fail($"W^T[{c}, {r}] is {transposed[c * k + r]}, expected W[{r}, {c}] = {w[r * n + c]}.");
    }

    [Fact]
    public void A_destination_of_the_wrong_size_is_refused()
    {
        using var packed = Gemm.Pack(new float[6], 2, 3);
        var error = Assert.Throws<ArgumentException>(() => packed.CopyTransposedTo(new float[5]));
        Assert.Contains("The transpose of a [2, 3] weight needs 6 floats; destination holds 5", error.Message);
    }
}
