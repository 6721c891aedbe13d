using TpCodegen.Kernels;

namespace TpCodegen.Tests.Kernels;

/// <summary>
/// The tiled transpose every checkpoint load runs (an <c>[out, in]</c> weight into <c>[in, out]</c>, a vocabulary's
/// rows into the head's columns) against the definition, on shapes that cut the 32 x 32 tiles short either way.
/// </summary>
public class TransposeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 45)]
    [InlineData(45, 1)]
    [InlineData(31, 33)]
    [InlineData(32, 64)]
    [InlineData(97, 70)]
    [InlineData(0, 5)]
    public void Transpose_writes_every_element_to_its_mirrored_place(int rows, int cols)
    {
        var source = Numbered(rows * cols);
        var destination = new float[rows * cols];

        Gemm.Transpose(source, rows, cols, destination);

        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Assert.Equal(source[r * cols + c], destination[c * rows + r]);
    }

    [Theory]
    [InlineData(37, 50, 40)]
    [InlineData(31, 33, 31)]
    [InlineData(5, 70, 64)]
    public void Transpose_into_wider_rows_leaves_the_padding_columns_untouched(int rows, int cols, int stride)
    {
        var source = Numbered(rows * cols);
        var destination = new float[cols * stride];
        Array.Fill(destination, -1f);

        Gemm.Transpose(source, rows, cols, destination, stride);

        for (int c = 0; c < cols; c++)
        {
            for (int r = 0; r < rows; r++) Assert.Equal(source[r * cols + c], destination[c * stride + r]);
            for (int r = rows; r < stride; r++) Assert.Equal(-1f, destination[c * stride + r]);
        }
    }

    [Fact]
    public void Transpose_into_rows_narrower_than_the_source_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Transpose(new float[12], 4, 3, new float[12], 3));
        Assert.Contains("cannot hold 4", error.Message);
    }

    private static float[] Numbered(int count) => Enumerable.Range(1, count).Select(i => (float)i).ToArray();
}
