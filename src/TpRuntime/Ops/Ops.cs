using System.Numerics.Tensors;

namespace TpCodegen;

/// <summary>
/// Operations a module's Forward applies between layers. Element-wise functions keep a shard a shard; every
/// non-linear function refuses a partial sum, because f(a) + f(b) is not f(a + b).
/// </summary>
public static class Ops
{
    /// <summary>SiLU (swish), x * sigmoid(x): the gate activation of Llama's MLP.</summary>
    public static DTensor Silu(DTensor x) => Unary(x, "Silu", static (s, d) =>
    {
        TensorPrimitives.Sigmoid(s, d);
        TensorPrimitives.Multiply(s, d, d);
    }, Training.ElementWiseOnTape.SiluDerivative);

    /// <summary>GELU, tanh approximation, as in GPT-2.</summary>
    public static DTensor Gelu(DTensor x) => Unary(x, "Gelu", static (s, d) =>
    {
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        const float c = 0.7978845608f;
        for (int i = 0; i < s.Length; i++)
        {
            float v = s[i];
            d[i] = 0.5f * v * (1f + MathF.Tanh(c * (v + 0.044715f * v * v * v)));
        }
    }, Training.ElementWiseOnTape.GeluDerivative);

    /// <summary>max(x, 0).</summary>
    public static DTensor Relu(DTensor x) => Unary(x, "Relu", static (s, d) => TensorPrimitives.Max(s, 0f, d), Training.ElementWiseOnTape.ReluDerivative);

    /// <summary>The all-reduce that turns a partial sum into the full value on every rank.</summary>
    public static DTensor AllReduce(DTensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Placement is not PartialPlacement)
            throw new PlacementException($"AllReduce expects a Partial value, but {x} is {x.Placement}: reducing it would multiply it by {x.Group.Size}.");
        return x.Redistribute(Placement.Replicate);
    }

    /// <summary>
    /// The rows <paramref name="rows"/> of <paramref name="x"/>, in that order, with its placement (rows are tokens, which no
    /// feature placement divides): for example the last token of each sequence, the only rows a generation step needs logits for.
    /// </summary>
    public static DTensor SelectRows(DTensor x, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Placement is ShardPlacement { Dim: -2 })
            throw new PlacementException($"SelectRows of a token-sharded value ({x.Placement}) on {x.Group}: gather the tokens first.");
        int width = x.LocalFeatures;
        var result = StepBuffers.Rent((long)rows.Length * width, zeroed: false);
        var source = x.LocalSpan;
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)x.Tokens)
                throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"SelectRows: row {rows[i]} of a value with {x.Tokens} rows.");
            source.Slice(rows[i] * width, width).CopyTo(result.AsSpan(i * width, width));
        }
        var selected = DTensor.OverStepBuffer(result, rows.Length, width, x.Placement, x.Group);
        if (Training.Tape.Active is not null) Training.ElementWiseOnTape.RecordSelectRows(x, rows.ToArray(), selected);
        return selected;
    }

    private delegate void UnaryKernel(ReadOnlySpan<float> source, Span<float> destination);

    private static DTensor Unary(DTensor x, string name, UnaryKernel kernel, Training.UnaryDerivative derivative)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Placement is PartialPlacement)
            throw new PlacementException(
                $"{name} of a {x.Placement} value on {x.Group} is not {name} of the sum: all-reduce it first (Redistribute(Placement.Replicate)).");
        var result = StepBuffers.Rent(x.LocalSpan.Length, zeroed: false);
        // An empty batch is legal; some TensorPrimitives kernels refuse empty spans.
        if (result.Length > 0) kernel(x.LocalSpan, result);
        var y = DTensor.OverStepBuffer(result, x.Tokens, x.LocalFeatures, x.Placement, x.Group);
        Training.ElementWiseOnTape.RecordUnary(x, y, derivative);
        return y;
    }
}
