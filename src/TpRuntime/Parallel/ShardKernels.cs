using System.Numerics.Tensors;

namespace TpCodegen.Parallel;

/// <summary>Small local steps the generated forwards run around the GEMM.</summary>
public static class ShardKernels
{
    /// <summary>Adds <paramref name="bias"/> (<c>[features]</c>) to every row of <paramref name="y"/> (<c>[tokens, features]</c>).</summary>
    public static void AddBias(Span<float> y, ReadOnlySpan<float> bias, int tokens)
    {
        int features = bias.Length;
        if (y.Length != (long)tokens * features)
            throw new ArgumentException($"AddBias: y holds {y.Length} floats, expected tokens * features = {tokens} * {features}.", nameof(y));
        for (int t = 0; t < tokens; t++)
        {
            var row = y.Slice(t * features, features);
            TensorPrimitives.Add(row, bias, row);
        }
    }
}
