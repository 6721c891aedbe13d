namespace TpCodegen.Tests.Collectives;

/// <summary>Deterministic per-rank inputs, so every rank and the sequential reference agree on what each rank sent.</summary>
internal static class CollectiveInputs
{
    public static float[] For(int rank, int length, int salt = 0)
    {
        var random = new Random(HashCode.Combine(rank, length, salt));
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>The element-wise reduction of every rank's input, computed on one thread in rank order.</summary>
    public static float[] Reduced(int size, int length, ReduceOp op, int salt = 0)
    {
        var result = For(0, length, salt);
        for (int rank = 1; rank < size; rank++)
        {
            var addend = For(rank, length, salt);
            for (int i = 0; i < length; i++)
                result[i] = op switch
                {
                    ReduceOp.Sum or ReduceOp.Average => result[i] + addend[i],
                    ReduceOp.Max => Math.Max(result[i], addend[i]),
                    ReduceOp.Min => Math.Min(result[i], addend[i]),
                    _ => throw new ArgumentOutOfRangeException(nameof(op)),
                };
        }
        if (op == ReduceOp.Average)
            for (int i = 0; i < length; i++) result[i] /= size;
        return result;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual[i]) > 1e-5f * (1 + Math.Abs(expected[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}.");
    }
}
