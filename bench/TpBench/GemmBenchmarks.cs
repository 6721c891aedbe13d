using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;
using Perfolizer.Horology;
using TpCodegen.Kernels;

namespace TpCodegen.Bench;

/// <summary>
/// Single-thread SGEMM throughput, ours against OpenBLAS <c>cblas_sgemm</c> on the same buffers.
/// Run: <c>dotnet run -c Release --project bench/TpBench -- --filter '*GemmBenchmarks*'</c>.
/// The GFLOP/s column is 2*M*K*N / mean time; "vs OpenBLAS" is OpenBLAS time / our time (above 1 = faster).
/// OpenBLAS comes from the system (<c>apt-get install libopenblas0-pthread</c>), pinned to one thread;
/// it picks its kernel by CPU detection unless <c>OPENBLAS_CORETYPE</c> overrides it, and setup prints which core it chose.
/// (On Zen 4, OpenBLAS 0.3.21 detects "Cooperlake", its AVX-512 kernels; <c>OPENBLAS_CORETYPE=Haswell</c> or <c>Zen</c>
/// selects its AVX2 kernels, which measured as fast at 2048x4096x4096 and faster at 64x4096x4096: compare against both.)
/// On a shared, loaded machine wall time mostly measures the neighbours: set <c>GEMM_BENCH_CLOCK=thread-cpu</c> to time
/// with the benchmark thread's CPU clock instead (in process; both kernels run on that one thread), which stays
/// steady under load. The job id in the summary says which clock was used.
/// </summary>
[Config(typeof(GemmConfig))]
public unsafe class GemmBenchmarks
{
    private float[] x = [], w = [], y = [];
    private PackedWeight? packed;

    // M, K, N: a prefill-sized batch, an MLP up-projection, a small batch, and one decode token.
    [Params("2048x4096x4096", "512x4096x11008", "64x4096x4096", "1x4096x4096")]
    public string Shape { get; set; } = "";

    private int M => Dims(Shape).M;
    private int K => Dims(Shape).K;
    private int N => Dims(Shape).N;

    internal static (int M, int K, int N) Dims(string shape)
    {
        var d = shape.Split('x').Select(int.Parse).ToArray();
        return (d[0], d[1], d[2]);
    }

    private void Allocate()
    {
        var rng = new Random(42);
        x = Random(rng, (long)M * K);
        w = Random(rng, (long)K * N);
        y = new float[(long)M * N];
    }

    [GlobalSetup(Targets = [nameof(Ours)])]
    public void SetupOurs() => Allocate();

    [GlobalSetup(Target = nameof(OursPrepacked))]
    public void SetupPacked()
    {
        Allocate();
        packed = Gemm.Pack(w, K, N);
    }

    [GlobalSetup(Target = nameof(OpenBlas))]
    public void SetupOpenBlas()
    {
        Allocate();
        OpenBlasNative.Load();
    }

    [GlobalCleanup]
    public void Cleanup() => packed?.Dispose();

    [Benchmark(Description = "ours")]
    public void Ours() => Gemm.Multiply(x, w, y, M, K, N);

    /// <summary>Weight packed once outside the timed region, as a layer holding its weight would.</summary>
    [Benchmark(Description = "ours (prepacked W)")]
    public void OursPrepacked() => Gemm.Multiply(x, packed!, y, M);

    [Benchmark(Description = "OpenBLAS")]
    public void OpenBlas()
    {
        fixed (float* xp = x, wp = w, yp = y)
            OpenBlasNative.Sgemm(M, K, N, xp, wp, yp);
    }

    private static float[] Random(Random rng, long length)
    {
        var a = new float[length];
        for (long i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>
    /// Few iterations: the large shapes take most of a second per call, the suite has to finish in minutes
    /// on a 2-core machine, and the mean of a handful of long calls is already stable.
    /// </summary>
    private sealed class GemmConfig : ManualConfig
    {
        public GemmConfig()
        {
            var job = Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5);
            AddJob(Environment.GetEnvironmentVariable("GEMM_BENCH_CLOCK") == "thread-cpu"
                ? job.WithClock(new ThreadCpuClock()).WithToolchain(InProcessNoEmitToolchain.Instance).WithId("short-threadcpu")
                : job.WithId("short-wall"));
            AddColumn(new GflopsColumn(), new VersusOpenBlasColumn());
            HideColumns("Error", "StdDev");
            WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
        }
    }

    /// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), in nanoseconds.</summary>
    private sealed class ThreadCpuClock : IClock
    {
        private const int ClockThreadCpuTimeId = 3;

        public string Title => "thread CPU time";
        public bool IsAvailable => OperatingSystem.IsLinux();
        public Frequency Frequency => Frequency.GHz;

        public long GetTimestamp()
        {
            if (clock_gettime(ClockThreadCpuTimeId, out var t) != 0)
                throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
            return t.Seconds * 1_000_000_000 + t.Nanoseconds;
        }

        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int clock_gettime(int clockId, out TimeSpec time);
    }

    private static double? MeanNs(Summary summary, BenchmarkCase c) =>
        summary[c]?.ResultStatistics?.Mean;

    private sealed class GflopsColumn : IColumn
    {
        public string Id => "GFLOPs";
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "2*M*K*N / mean time";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var (m, k, n) = Dims((string)benchmarkCase.Parameters["Shape"]);
            return MeanNs(summary, benchmarkCase) is double ns ? (2.0 * m * k * n / ns).ToString("F1") : "n/a";
        }
    }

    private sealed class VersusOpenBlasColumn : IColumn
    {
        public string Id => "VsOpenBlas";
        public string ColumnName => "vs OpenBLAS";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "OpenBLAS mean time / this mean time on the same shape (above 1 = faster than OpenBLAS)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var shape = benchmarkCase.Parameters["Shape"];
            var blas = summary.BenchmarksCases.FirstOrDefault(c =>
                c.Descriptor.WorkloadMethod.Name == nameof(OpenBlas) && Equals(c.Parameters["Shape"], shape));
            if (blas is null || MeanNs(summary, blas) is not double blasNs) return "n/a";
            return MeanNs(summary, benchmarkCase) is double ns ? (blasNs / ns).ToString("F2") : "n/a";
        }
    }
}

/// <summary>
/// OpenBLAS resolved at run time, so a machine without it gets one clear message instead of a
/// DllNotFoundException from deep inside a benchmark.
/// </summary>
internal static unsafe class OpenBlasNative
{
    private const int RowMajor = 101, NoTrans = 111;
    private static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;

    public static string Description { get; private set; } = "not loaded";

    public static void Load()
    {
        if (sgemm != null) return;
        string[] names = ["libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.so", "libopenblas.dylib", "libopenblas.dll"];
        nint lib = 0;
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out lib)) break;
        if (lib == 0)
            throw new InvalidOperationException(
                "OpenBLAS baseline unavailable: no libopenblas found (tried " + string.Join(", ", names) +
                "). Install it with 'apt-get install -y libopenblas0-pthread' to get the comparison; the 'ours' rows are unaffected.");
        sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(lib, "cblas_sgemm");
        // One thread, to compare with our single-threaded kernel on equal terms.
        ((delegate* unmanaged<int, void>)NativeLibrary.GetExport(lib, "openblas_set_num_threads"))(1);
        var core = Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "openblas_get_corename"))());
        var config = Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "openblas_get_config"))());
        var threads = ((delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "openblas_get_num_threads"))();
        Description = $"{config}; core {core}; threads {threads}; OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}";
        Console.WriteLine("// OpenBLAS: " + Description);
    }

    /// <summary><c>y = x @ w</c>, all row-major: <c>x [m, k]</c>, <c>w [k, n]</c>, <c>y [m, n]</c>.</summary>
    public static void Sgemm(int m, int k, int n, float* x, float* w, float* y) =>
        sgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1f, x, k, w, n, 0f, y, n);
}
