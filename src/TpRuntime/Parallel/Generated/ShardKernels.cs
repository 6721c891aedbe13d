using System.ComponentModel;
using System.Numerics.Tensors;

namespace TpCodegen.Parallel.Generated;

/// <summary>
/// Small local steps the generated forwards and backwards run around the GEMM. Plumbing, not API: public only because
/// generated code compiles into the author's assembly, and hidden from IntelliSense for the same reason.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
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

    /// <summary>
    /// <c>dx[tokens, in] = dy[tokens, out] @ w^T</c> for a row-major weight <c>w: [in, out]</c>: the input gradient of
    /// <c>y = x @ w</c>. Transposes <paramref name="w"/> into a temporary, then one GEMM.
    /// </summary>
    public static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int tokens, int inFeatures, int outFeatures)
    {
        var transposed = StepBuffers.Rent((long)inFeatures * outFeatures, zeroed: false); // pooled in a training step
        Kernels.Gemm.Transpose(w, inFeatures, outFeatures, transposed);
        Kernels.Gemm.Multiply(dy, transposed, dx, tokens, outFeatures, inFeatures);
    }

    /// <summary>
    /// <c>dx[tokens, in] = dy[tokens, out] @ w^T</c> for a weight packed for the forward (<c>w.K</c> = in,
    /// <c>w.N</c> = out): one GEMM with <c>w^T</c> packed, which the weight builds once and keeps until its values change.
    /// </summary>
    public static void InputGradient(ReadOnlySpan<float> dy, Kernels.PackedWeight w, Span<float> dx, int tokens)
    {
        ArgumentNullException.ThrowIfNull(w);
        Kernels.Gemm.Multiply(dy, w.Transposed(), dx, tokens);
    }

    /// <summary>
    /// <c>dw[in, out] = x[tokens, in]^T @ dy[tokens, out]</c>: the weight gradient of <c>y = x @ w</c>. Transposes
    /// <paramref name="x"/> into a temporary, then one GEMM.
    /// </summary>
    public static void WeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, int tokens, int inFeatures, int outFeatures)
    {
        var transposed = StepBuffers.Rent((long)tokens * inFeatures, zeroed: false); // pooled in a training step
        Kernels.Gemm.Transpose(x, tokens, inFeatures, transposed);
        Kernels.Gemm.Multiply(transposed, dy, dw, inFeatures, tokens, outFeatures);
    }

    /// <summary>The column sums of <paramref name="dy"/> (<c>[tokens, features]</c>): the bias gradient of <c>y = x @ w + b</c>.</summary>
    public static float[] BiasGradient(ReadOnlySpan<float> dy, int tokens, int features)
    {
        if (dy.Length != (long)tokens * features)
            throw new ArgumentException($"BiasGradient: dy holds {dy.Length} floats, expected tokens * features = {tokens} * {features}.", nameof(dy));
        var db = new float[features];
        for (int t = 0; t < tokens; t++) TensorPrimitives.Add(db, dy.Slice(t * features, features), db);
        return db;
    }
}
