using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Bench;

/// <summary>A Llama MLP block as an author writes it; the generator shards it for the tp benchmark.</summary>
public partial class BenchMlp(int hidden, int intermediate)
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: false);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}

/// <summary>
/// One forward of the MLP block (column -> SiLU * up -> row): dense on one rank against tp=2 in-process ranks.
/// Efficiency = dense time / (tp * tp time); the design target at tp=2 on two cores is 0.92 or better.
/// </summary>
/// <remarks>
/// The in-process world is started once per parameter set and kept alive: its two rank threads wait on a barrier,
/// run one forward when the benchmark thread releases them, and meet it again at a second barrier. So an invocation
/// measures the sharded forward (GEMMs, SiLU, product, the all-reduce) plus two barrier crossings (microseconds),
/// not thread start-up or sharding. A forward takes seconds on these shapes, so each invocation runs one forward.
/// </remarks>
[Config(typeof(Config))]
public class MlpBlockBenchmarks
{
    private const int Tp = 2;

    private BenchMlp _dense = null!;
    private BenchMlp _singleRank = null!;
    private DTensor _denseInput = null!;
    private PersistentWorld _world = null!;

    /// <summary>tokens x hidden x intermediate.</summary>
    [Params("512x4096x11008", "2048x1024x4096")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var dims = Shape.Split('x').Select(int.Parse).ToArray();
        int tokens = dims[0], hidden = dims[1], intermediate = dims[2];
        _dense = new BenchMlp(hidden, intermediate);
        var random = new Random(1);
        var input = new float[tokens * hidden];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 2 - 1);
        _denseInput = DTensor.FromArray(input, tokens, hidden, Placement.Replicate, SingleRankGroup.Instance);
        _dense.Forward(_denseInput); // creates the dense weights before the ranks cut their shards from them

        // The baseline: the same generated layers on one rank (tp = 1), so both sides run the same kernels on
        // pre-packed weights and the ratio measures the parallel scaling alone.
        _singleRank = new BenchMlp(hidden, intermediate);
        _singleRank.ShardFrom(_dense, SingleRankGroup.Instance);
        _singleRank.Forward(_denseInput);

        _world = new PersistentWorld(Tp, group =>
        {
            var mlp = new BenchMlp(hidden, intermediate);
            mlp.ShardFrom(_dense, group);
            var x = DTensor.FromArray(input, tokens, hidden, Placement.Replicate, group);
            return () => mlp.Forward(x);
        });
    }

    [GlobalCleanup]
    public void Cleanup() => _world.Dispose();

    [Benchmark(Baseline = true, Description = "dense, 1 rank (generated, tp=1)")]
    public DTensor SingleRank() => _singleRank.Forward(_denseInput);

    // The reference Linear packs its weight on every call; shown for scale, not used for the efficiency.
    [Benchmark(Description = "dense Linear reference, 1 rank")]
    public DTensor DenseReference() => _dense.Forward(_denseInput);

    [Benchmark(Description = "tp=2, in-process")]
    public void TensorParallel2() => _world.RunOnce();

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // Seconds per forward: one forward per invocation, 15 iterations (enough for the spread a shared machine adds).
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(15)
                .WithInvocationCount(1)
                .WithUnrollFactor(1));
            AddColumn(new EfficiencyColumn(Tp));
            HideColumns(Column.RatioSD);
        }
    }

    /// <summary>speedup / tp = dense time / (tp * tp time), from the means against the baseline of the same shape.</summary>
    private sealed class EfficiencyColumn(int tp) : IColumn
    {
        public string Id => nameof(EfficiencyColumn);
        public string ColumnName => $"Efficiency (tp={tp})";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Dense mean / (tp * this mean); 1.0 is perfect scaling";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            if (benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(TensorParallel2)) return "-";
            var baseline = summary.GetBaseline(summary.GetLogicalGroupKey(benchmarkCase));
            double? dense = baseline is null ? null : summary[baseline]?.ResultStatistics?.Mean;
            double? mine = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return dense is double d && mine is double m && m > 0
                ? (d / (tp * m)).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)
                : "?";
        }
    }
}

/// <summary>
/// An in-process world whose ranks live across benchmark invocations: each rank builds its step once, then runs it
/// each time the driver thread calls <see cref="RunOnce"/>.
/// </summary>
internal sealed class PersistentWorld : IDisposable
{
    private readonly Barrier _start;
    private readonly Barrier _done;
    private readonly Thread _driver;
    private volatile bool _stopping;
    private Exception? _failure;

    public PersistentWorld(int size, Func<ProcessGroup, Action> buildStep)
    {
        _start = new Barrier(size + 1);
        _done = new Barrier(size + 1);
        _driver = new Thread(() =>
        {
            try
            {
                InProcessWorld.Run(size, group =>
                {
                    var step = buildStep(group);
                    step(); // warm the JIT and the shard's memory once
                    _done.SignalAndWait();
                    while (true)
                    {
                        _start.SignalAndWait();
                        if (_stopping) return;
                        step();
                        _done.SignalAndWait();
                    }
                });
            }
            catch (Exception error)
            {
                _failure = error;
                _done.Dispose();
            }
        }) { IsBackground = true, Name = "persistent-world" };
        _driver.Start();
        _done.SignalAndWait(); // every rank has built and run its step once
    }

    public void RunOnce()
    {
        if (_failure is not null) throw new InvalidOperationException("The in-process world failed.", _failure);
        _start.SignalAndWait();
        _done.SignalAndWait();
    }

    public void Dispose()
    {
        _stopping = true;
        _start.SignalAndWait();
        _driver.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
