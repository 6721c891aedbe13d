namespace TpCodegen.Models.Tests;

/// <summary>The dense answers, computed independently of Gemm with a naive loop in double precision.</summary>
internal static class Reference
{
    public static float[] Input(int tokens, int features, int seed)
    {
        var random = new Random(seed);
        var x = new float[tokens * features];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        return x;
    }

    public static float[] Linear(float[] x, Linear layer, int tokens)
    {
        int k = layer.InFeatures, n = layer.OutFeatures;
        var w = layer.Weight;
        var b = layer.Bias;
        var y = new float[tokens * n];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < n; j++)
            {
                double sum = b is null ? 0 : b[j];
                for (int p = 0; p < k; p++) sum += (double)x[t * k + p] * w[p * n + j];
                y[t * n + j] = (float)sum;
            }
        return y;
    }

    public static float[] Map(float[] x, Func<double, double> f) => x.Select(v => (float)f(v)).ToArray();

    public static float[] Multiply(float[] a, float[] b) => a.Zip(b, (p, q) => p * q).ToArray();

    public static double Silu(double v) => v / (1 + Math.Exp(-v));

    public static double Gelu(double v) => 0.5 * v * (1 + Math.Tanh(0.7978845608 * (v + 0.044715 * v * v * v)));

    /// <summary>Asserts max |a - e| / max(1, max |e|) ≤ tolerance, naming the worst element.</summary>
    public static void AssertClose(float[] expected, float[] actual, string what, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(v => Math.Abs((double)v)));
        int worst = 0;
        double worstError = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)expected[i] - actual[i]) / scale;
            if (error > worstError) { worstError = error; worst = i; }
        }
        Assert.True(worstError <= tolerance,
            $"{what}: relative error {worstError:E2} at element {worst} (expected {expected[worst]}, got {actual[worst]}) exceeds {tolerance:E0}.");
    }
}
