using TpCodegen.Kernels;

namespace TpCodegen.Tests.Kernels;

/// <summary>
/// Every GEMM path against a naive triple loop accumulated in double, on shapes chosen to hit
/// every edge: 1x1x1, GEMV, k = 0, tiles cut short in m and n, and each blocking size (Mr, Nr, Kc, Mc, Nc) ±1
/// for both the Vector512 and the Vector256 kernel sets (whichever this machine runs).
/// </summary>
public class GemmTests
{
    // Kernel paths by name, so the theory rows stay serialisable and readable in the test list.
    public const string Public = "public";
    public const string V512 = "v512";
    public const string V256 = "v256";
    public const string Scalar = "scalar";

    public static readonly TheoryData<int, int, int> OddShapes = new()
    {
        { 1, 1, 1 }, { 1, 7, 3 }, { 3, 5, 7 }, { 17, 129, 65 }, { 256, 1024, 513 }, { 33, 96, 48 },
        { 5, 12, 36 }, { 7, 300, 1 }, { 65, 17, 257 }, { 2, 0, 5 }, { 1, 0, 9 }, { 0, 4, 4 }, { 4, 4, 0 },
        { 64, 64, 64 }, { 1, 1000, 1031 }, { 1, 3, 40 }, { 1, 8, 16 }, { 1, 13, 47 }, { 1, 12, 15 },
    };

    public static TheoryData<string, int, int, int> BlockingEdges()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (var (name, set) in new[] { (V512, GemmKernelSet.Avx512), (V256, GemmKernelSet.Avx256) })
        {
            foreach (int d in new[] { -1, 0, 1 })
            {
                data.Add(name, set.Mr + d, 9, set.Nr + d);          // one register tile, cut short or spilling over
                data.Add(name, 2 * set.Mr + d, 5, 3 * set.Nr + d);  // tail rows: every smaller tile height
                data.Add(name, 3, set.Kc + d, 2 * set.Nr + 1);      // one Kc slice ±1: accumulate across slices
                data.Add(name, set.Mc + d, 7, set.Nr + 3);          // one packed A block ±1
                data.Add(name, 3, 6, set.Nc + d);                   // one packed B block ±1
            }
            data.Add(name, set.Mc + 5, 2 * set.Kc + 3, 2 * set.Nr + 7); // all three levels at once
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void PublicEntryMatchesNaive(int m, int k, int n)
    {
        CheckAllBiasModes(Public, m, k, n);
    }

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void EveryKernelSetMatchesNaiveOnOddShapes(int m, int k, int n)
    {
        if (m * k * n > 20_000_000) return; // the biggest shape runs once, through the public entry
        foreach (var name in new[] { V512, V256, Scalar })
            CheckAllBiasModes(name, m, k, n);
    }

    [Theory]
    [MemberData(nameof(BlockingEdges))]
    public void KernelSetMatchesNaiveAroundBlockingEdges(string name, int m, int k, int n)
    {
        CheckAllBiasModes(name, m, k, n);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 4096 / 8, 100)]
    [InlineData(3, 5, 7)]
    [InlineData(17, 129, 65)]
    [InlineData(13, 385, 33)]
    [InlineData(65, 17, 257)]
    [InlineData(2, 0, 5)]
    [InlineData(300, 800, 70)]
    public void PackedWeightMatchesNaive(int m, int k, int n)
    {
        var sets = new List<GemmKernelSet?> { null, GemmKernelSet.Avx256, GemmKernelSet.Avx512 };
        foreach (var set in sets)
        {
            if (set is { IsSupported: false }) continue;
            var rng = new Random(Seed(m, k, n, 7));
            var x = RandomArray(rng, m * k);
            var w = RandomArray(rng, k * n);
            var bias = RandomArray(rng, n);
            using var packed = new PackedWeight(set, w, k, n);
            foreach (bool withBias in new[] { false, true })
            {
                var y = Filled(m * n + 3, float.NaN);
                Gemm.Multiply(x, packed, y, m, withBias ? bias : default);
                AssertClose(x, w, withBias ? bias : null, y, m, k, n, $"packed {set?.Name ?? Scalar}");
            }
        }
        using (var viaPublic = Gemm.Pack(RandomArray(new Random(1), k * n), k, n))
        {
            Assert.Equal(k, viaPublic.K);
            Assert.Equal(n, viaPublic.N);
        }
    }

    [Fact]
    public void PackedWeightReusedAcrossCallsAndThreads()
    {
        const int m = 37, k = 450, n = 90;
        var rng = new Random(3);
        var x = RandomArray(rng, m * k);
        var w = RandomArray(rng, k * n);
        using var packed = Gemm.Pack(w, k, n);
        var ys = new float[4][];
        System.Threading.Tasks.Parallel.For(0, ys.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            ys[i] = new float[m * n];
            Gemm.Multiply(x, packed, ys[i], m);
            Gemm.Multiply(x, w, ys[i], m, k, n); // each thread's own packing buffers
        });
        foreach (var y in ys)
            AssertClose(x, w, null, y, m, k, n, "threads");
    }

    [Fact]
    public void DisposedPackedWeightThrows()
    {
        var packed = Gemm.Pack(new float[6], 2, 3);
        packed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Gemm.Multiply(new float[2], packed, new float[3], 1));
    }

    [Theory]
    [InlineData(5, 12, 36, 12, 36, 36, 0, "x")]
    [InlineData(2, 3, 4, 6, 11, 8, 0, "w")]
    [InlineData(2, 3, 4, 6, 12, 7, 0, "y")]
    [InlineData(2, 3, 4, 6, 12, 8, 3, "bias")]
    [InlineData(2, 3, 4, 6, 12, 8, 5, "bias")]
    public void BadLengthsThrowNamingTheArgument(int m, int k, int n, int xLen, int wLen, int yLen, int biasLen, string param)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() =>
            Gemm.Multiply(new float[xLen], new float[wLen], new float[yLen], m, k, n, new float[biasLen]));
        Assert.Equal(param, ex.ParamName);
        Assert.Contains(param, ex.Message);
    }

    [Fact]
    public void BadLengthsThrowForPackedWeight()
    {
        using var packed = Gemm.Pack(new float[12], 3, 4);
        Assert.Equal("x", Assert.ThrowsAny<ArgumentException>(() => Gemm.Multiply(new float[5], packed, new float[8], 2)).ParamName);
        Assert.Equal("y", Assert.ThrowsAny<ArgumentException>(() => Gemm.Multiply(new float[6], packed, new float[7], 2)).ParamName);
        Assert.Equal("bias", Assert.ThrowsAny<ArgumentException>(() => Gemm.Multiply(new float[6], packed, new float[8], 2, new float[3])).ParamName);
        Assert.Equal("w", Assert.ThrowsAny<ArgumentException>(() => Gemm.Pack(new float[11], 3, 4)).ParamName);
        Assert.Throws<ArgumentNullException>(() => Gemm.Multiply(new float[6], null!, new float[8], 2));
    }

    [Fact]
    public void NegativeDimensionThrows()
    {
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => Gemm.Multiply(new float[4], new float[4], new float[4], -1, 2, 2));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => Gemm.Pack(new float[4], 2, -2));
    }

    private static void CheckAllBiasModes(string path, int m, int k, int n)
    {
        GemmKernelSet? set = path switch
        {
            V512 => GemmKernelSet.Avx512,
            V256 => GemmKernelSet.Avx256,
            _ => null,
        };
        if (set is { IsSupported: false }) return; // this machine cannot run that width
        var rng = new Random(Seed(m, k, n, path.Length));
        var x = RandomArray(rng, m * k);
        var w = RandomArray(rng, k * n);
        var bias = RandomArray(rng, n);
        foreach (bool withBias in new[] { false, true })
        {
            // y is longer than m * n and starts as NaN: every output must be written, nothing past it touched.
            var y = Filled(m * n + 5, float.NaN);
            var b = withBias ? bias : default(ReadOnlySpan<float>);
            if (path == Public) Gemm.Multiply(x, w, y, m, k, n, b);
            else Gemm.Multiply(set, x, w, y, m, k, n, b);
            AssertClose(x, w, withBias ? bias : null, y, m, k, n, $"{path} bias={withBias}");
        }
    }

    private static void AssertClose(float[] x, float[] w, float[]? bias, float[] y, int m, int k, int n, string what)
    {
        // Float error of a k-term dot product grows like sqrt(k) * eps * sum|x_p w_p| for random data;
        // 2e-6 is about 30 float epsilons, far below the size of any one missing or doubled term.
        double tolScale = 2e-6 * Math.Sqrt(k + 1);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = bias?[j] ?? 0, abs = Math.Abs(bias?[j] ?? 0);
                for (int p = 0; p < k; p++)
                {
                    double t = (double)x[i * k + p] * w[p * n + j];
                    sum += t;
                    abs += Math.Abs(t);
                }
                double got = y[i * n + j];
                if (!(Math.Abs(got - sum) <= tolScale * (1 + abs)))
                    Assert.Fail($"{what} {m}x{k}x{n}: y[{i},{j}] = {got}, expected {sum} (tolerance {tolScale * (1 + abs):G3}).");
            }
        }
        for (int t = m * n; t < y.Length; t++)
            Assert.True(float.IsNaN(y[t]), $"{what} {m}x{k}x{n}: wrote past the output at {t}.");
    }

    // HashCode.Combine is randomised per process; a fixed mix keeps every failure reproducible.
    private static int Seed(int m, int k, int n, int salt) => ((m * 31 + k) * 31 + n) * 31 + salt;

    private static float[] RandomArray(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static float[] Filled(int length, float value)
    {
        var a = new float[length];
        Array.Fill(a, value);
        return a;
    }
}
