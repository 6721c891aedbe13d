using System.Numerics.Tensors;

namespace TpCodegen.Training;

/// <summary>Writes f'(x) for each x: the derivative of a unary function, element-wise.</summary>
internal delegate void UnaryDerivative(ReadOnlySpan<float> x, Span<float> derivative);

/// <summary>
/// The gradients of element-wise ops, row selection and redistribution. Element-wise ops act on each rank's block alone,
/// so their gradients do too: no collective. A redistribution's gradient is the gradient moved back to the input's
/// gradient placement (an all-gather's gradient is a local slice, a slice's an all-gather, an all-reduce's the identity).
/// </summary>
internal static class ElementWiseOnTape
{
    public static void RecordAdd(DTensor left, DTensor right, DTensor sum)
    {
        if (Tape.Active is not { } tape) return;
        RecordAddOn(tape, left, right, sum);
    }

    // Each Record* checks for a tape and hands over to its *On twin: the lambdas capture the arguments, and a method
    // holding them allocates their closure on entry, recording or not (these hooks run on every op of every decode step).
    private static void RecordAddOn(Tape tape, DTensor left, DTensor right, DTensor sum)
    {
        tape.Record(sum, g =>
        {
            tape.Accumulate(left, g.LocalSpan);
            tape.Accumulate(right, g.LocalSpan);
        });
    }

    public static void RecordMultiply(DTensor left, DTensor right, DTensor product)
    {
        if (Tape.Active is not { } tape) return;
        RecordMultiplyOn(tape, left, right, product);
    }

    private static void RecordMultiplyOn(Tape tape, DTensor left, DTensor right, DTensor product)
    {
        tape.Record(product, g =>
        {
            var d = StepBuffers.Rent(g.LocalSpan.Length);
            TensorPrimitives.Multiply(g.LocalSpan, right.LocalSpan, d);
            tape.Accumulate(left, d);
            TensorPrimitives.Multiply(g.LocalSpan, left.LocalSpan, d);
            tape.Accumulate(right, d);
        });
    }

    /// <summary>A unary function's gradient: <c>dx = dy * f'(x)</c>, with <paramref name="derivative"/> writing f'(x).</summary>
    public static void RecordUnary(DTensor x, DTensor y, UnaryDerivative derivative)
    {
        if (Tape.Active is not { } tape) return;
        RecordUnaryOn(tape, x, y, derivative);
    }

    private static void RecordUnaryOn(Tape tape, DTensor x, DTensor y, UnaryDerivative derivative)
    {
        tape.Record(y, g =>
        {
            var d = StepBuffers.Rent(x.LocalSpan.Length);
            if (d.Length == 0) return;
            derivative(x.LocalSpan, d);
            TensorPrimitives.Multiply(d, g.LocalSpan, d);
            tape.Accumulate(x, d);
        });
    }

    /// <summary>SiLU'(x) = s (1 + x (1 - s)), s = sigmoid(x).</summary>
    public static void SiluDerivative(ReadOnlySpan<float> x, Span<float> d)
    {
        TensorPrimitives.Sigmoid(x, d);
        for (int i = 0; i < d.Length; i++) d[i] *= 1f + x[i] * (1f - d[i]);
    }

    /// <summary>The tanh GELU's derivative: 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(c (x + a x^3)).</summary>
    public static void GeluDerivative(ReadOnlySpan<float> x, Span<float> d)
    {
        const float c = 0.7978845608f, a = 0.044715f;
        for (int i = 0; i < d.Length; i++)
        {
            float v = x[i], t = MathF.Tanh(c * (v + a * v * v * v));
            d[i] = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * c * (1f + 3f * a * v * v);
        }
    }

    public static void ReluDerivative(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] > 0 ? 1f : 0f;
    }

    public static void RecordSelectRows(DTensor x, int[] rows, DTensor selected)
    {
        if (Tape.Active is not { } tape) return;
        RecordSelectRowsOn(tape, x, rows, selected);
    }

    private static void RecordSelectRowsOn(Tape tape, DTensor x, int[] rows, DTensor selected)
    {
        tape.Record(selected, g =>
        {
            int width = x.LocalFeatures;
            var d = StepBuffers.Rent(x.LocalSpan.Length);
            for (int i = 0; i < rows.Length; i++)
            {
                var target = d.AsSpan(rows[i] * width, width);
                TensorPrimitives.Add(target, g.LocalSpan.Slice(i * width, width), target);
            }
            tape.Accumulate(x, d);
        });
    }

    public static void RecordRedistribute(DTensor x, DTensor moved)
    {
        if (ReferenceEquals(x, moved) || Tape.Active is not { } tape) return;
        RecordRedistributeOn(tape, x, moved);
    }

    private static void RecordRedistributeOn(Tape tape, DTensor x, DTensor moved)
    {
        if (x.Placement is ShardPlacement { Dim: -2 } && moved.Placement is ReplicatePlacement)
        {
            // Sequence parallelism's all-gather entering a column block: its conjugate is a reduce-scatter of the column
            // layers' unreduced dX (one collective for all of them), or a slice when a full gradient came back instead.
            tape.MarkTokenGathered(moved, x);
            tape.Record(moved, g =>
            {
                tape.ForgetGathered(moved);
                // The same buffer seen as the partial sum it is (the reduce-scatter only reads it): no copy of a full-size
                // gradient per block, which as a fresh array each step would land on the large-object heap.
                var source = tape.HasPartialGradient(moved)
                    ? DTensor.FromArray(g.LocalArray, g.Tokens, g.LocalFeatures, Placement.Partial(), g.Group)
                    : g;
                tape.Accumulate(x, source.Redistribute(x.Placement).LocalSpan);
            });
            return;
        }
        tape.Record(moved, g => tape.Accumulate(x, g.Redistribute(Tape.GradientPlacement(x.Placement)).LocalSpan));
    }
}
