using TpCodegen.Training;

namespace TpCodegen.Tests.Training;

/// <summary>An input of an op under test: its values (perturbed in place) and its shape as an activation.</summary>
internal sealed record OpInput(string Name, float[] Values, int Tokens, int Features);

/// <summary>
/// Checks the tape's gradients of an op against central finite differences. The objective is <c>sum(c * op(inputs))</c>
/// for fixed random weights c (summed in double); each input value and each parameter value is nudged by ±h and the
/// objective recomputed without a tape. Float ops, so h is large enough (1e-2 relative) that rounding stays far below
/// the tolerance, and the shapes are small.
/// </summary>
internal static class GradientCheck
{
    public static void Run(string what, OpInput[] inputs, Parameter[] parameters, Func<DTensor[], DTensor> op, double tolerance = 2e-3)
    {
        DTensor[] Wrap() => inputs.Select(i => DTensor.FromArray(i.Values, i.Tokens, i.Features, Placement.Replicate, TpCodegen.Collectives.SingleRankGroup.Instance)).ToArray();

        var probe = op(Wrap());
        var weights = Random(probe.LocalSpan.Length, seed: 99);
        foreach (var p in parameters) p.ZeroGrad();
        float[][] inputGradients;
        using (var tape = Tape.Start())
        {
            var tensors = Wrap();
            foreach (var t in tensors) tape.Watch(t);
            var y = op(tensors);
            tape.Backward(y, DTensor.FromArray((float[])weights.Clone(), y.Tokens, y.LocalFeatures, Placement.Replicate, y.Group));
            inputGradients = tensors.Select(t => tape.Gradient(t)?.LocalSpan.ToArray() ?? new float[t.LocalSpan.Length]).ToArray();
        }

        double Objective()
        {
            var y = op(Wrap()).LocalSpan;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)weights[i] * y[i];
            return sum;
        }

        for (int i = 0; i < inputs.Length; i++) Compare($"{what}: d/d{inputs[i].Name}", inputs[i].Values, inputGradients[i], Objective, tolerance);
        foreach (var p in parameters) Compare($"{what}: d/d{p.Name}", p.Value, p.Grad, Objective, tolerance);
    }

    private static void Compare(string what, float[] values, float[] analytic, Func<double> objective, double tolerance)
    {
        Assert.Equal(values.Length, analytic.Length);
        for (int j = 0; j < values.Length; j++)
        {
            float original = values[j];
            float h = 1e-2f * Math.Max(1f, Math.Abs(original));
            values[j] = original + h;
            double plus = objective();
            values[j] = original - h;
            double minus = objective();
            values[j] = original;
            double numeric = (plus - minus) / (2 * h);
            double error = Math.Abs(numeric - analytic[j]);
            Assert.True(error <= tolerance * (1 + Math.Abs(numeric)),
                $"{what}[{j}]: tape {analytic[j]:G6}, finite differences {numeric:G6} (error {error:G3}).");
        }
    }

    public static float[] Random(int length, int seed, double scale = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
    }
}
