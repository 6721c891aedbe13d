using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Bench;

/// <summary>
/// The analyzer benchmark without BenchmarkDotNet, for a quick and repeatable reading on a shared machine: the same
/// 500-module compilation compiled in turn without analyzers, with an empty analyzer that only asks for every invocation
/// (the driver's own cost of handing operations to any analyzer: the floor under any IOperation rule), and with the
/// TpCodegen analyzers, so that all three see the same machine load. Wall and process CPU times, the medians' ratios,
/// then the compiler's per-analyzer execution times (<see cref="AnalyzerBenchmarks.AnalyzerTimes"/>), median of as many analyses.
/// Run: dotnet run -c Release --project bench/TpBench -- --analyzer-times [rounds] [--baseline path/to/TpAnalyzers.dll]
/// With a baseline (another build of the analyzers, say main's), it is measured in the same rounds, for an A/B that one
/// machine's load cannot skew.
/// </summary>
internal static class AnalyzerTimes
{
    public static void Run(int rounds, string? baselinePath)
    {
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        var floor = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationAnalyzer());
        var sides = new List<(string Name, Func<int> Run)>
        {
            ("compile", bench.WithoutAnalyzers),
            ("+ empty operation analyzer", () => bench.Analyze(floor)),
            ("+ TpCodegen analyzers", bench.WithAnalyzers),
        };
        if (baselinePath is not null)
        {
            var baseline = AnalyzerBenchmarks.AnalyzersIn(new IsolatedAnalyzers(baselinePath).LoadFromAssemblyPath(Path.GetFullPath(baselinePath)));
            int expected = bench.WithAnalyzers(), got = bench.Analyze(baseline);
            Console.WriteLine($"baseline {baselinePath}: {baseline.Length} analyzers, {got} diagnostics (this build: {expected})");
            sides.Add(("+ baseline analyzers", () => bench.Analyze(baseline)));
        }
        // Warm every path (JIT, Roslyn's caches of the references) before timing.
        for (int i = 0; i < 2; i++)
        {
            foreach (var side in sides) side.Run();
        }
        var wall = sides.Select(_ => new List<double>()).ToArray();
        var cpu = sides.Select(_ => new List<double>()).ToArray();
        var allocated = sides.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int s = 0; s < sides.Count; s++)
            {
                var (w, c, a) = Time(sides[s].Run);
                wall[s].Add(w);
                cpu[s].Add(c);
                allocated[s].Add(a);
            }
            Console.WriteLine($"round {round + 1}: " + string.Join(", ", sides.Select((side, s) => $"{side.Name} {wall[s][^1]:F0} ms ({cpu[s][^1]:F0} cpu)")));
        }
        Console.WriteLine($"median of {rounds} rounds (wall / cpu ms, ratio to compile; MB allocated, ratio):");
        for (int s = 0; s < sides.Count; s++)
        {
            Console.WriteLine($"  {sides[s].Name,-28} {Median(wall[s]),7:F1} / {Median(cpu[s]),7:F1}   {Median(wall[s]) / Median(wall[0]):F2}x / {Median(cpu[s]) / Median(cpu[0]):F2}x" +
                $"   {Median(allocated[s]),6:F1} MB {Median(allocated[s]) / Median(allocated[0]):F2}x");
        }
        // The compiler's per-analyzer times, the median of as many analyses as rounds (one analysis is as noisy as the wall clock).
        var perAnalyzer = new Dictionary<string, List<double>>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (name, time) in bench.AnalyzerTimes())
            {
                if (!perAnalyzer.TryGetValue(name, out var list)) perAnalyzer[name] = list = new List<double>();
                list.Add(time.TotalMilliseconds);
            }
        }
        Console.WriteLine($"per-analyzer execution time, median of {rounds} analyses (ms):");
        foreach (var (name, list) in perAnalyzer.OrderByDescending(p => Median(p.Value)))
            Console.WriteLine($"  {name,-48} {Median(list),7:F1}");
        Console.WriteLine($"  {"all analyzers (sum of medians)",-48} {perAnalyzer.Values.Sum(Median),7:F1}");
    }

    /// <summary>The MB each analyzer allocates analysing the compilation alone, beyond the empty operation analyzer.</summary>
    public static void Allocations()
    {
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        var floor = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationAnalyzer());
        double Measure(ImmutableArray<DiagnosticAnalyzer> analyzers)
        {
            bench.Analyze(analyzers);
            return Time(() => bench.Analyze(analyzers)).AllocatedMb;
        }
        double baseline = Measure(floor);
        Console.WriteLine($"empty operation analyzer: {baseline:F1} MB; each analyzer alone, beyond it:");
        var all = AnalyzerBenchmarks.AnalyzersIn(typeof(TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer).Assembly);
        foreach (var analyzer in all) Console.WriteLine($"  {analyzer.GetType().Name,-48} {Measure([analyzer]) - baseline,6:F1} MB");
        Console.WriteLine($"  {"all together",-48} {Measure(all) - baseline,6:F1} MB");
    }

    private static (double Wall, double Cpu, double AllocatedMb) Time(Func<int> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        action();
        watch.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        process.Refresh();
        return (watch.Elapsed.TotalMilliseconds, (process.TotalProcessorTime - cpu).TotalMilliseconds, allocated / 1048576.0);
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Another build of TpAnalyzers beside this one; Roslyn and the rest come from the host.</summary>
    private sealed class IsolatedAnalyzers(string path) : System.Runtime.Loader.AssemblyLoadContext(isCollectible: false)
    {
        private readonly string _directory = Path.GetDirectoryName(Path.GetFullPath(path))!;

        protected override System.Reflection.Assembly? Load(System.Reflection.AssemblyName name)
        {
            // Only the analyzers' own assemblies are taken from the baseline's folder (TpShared, if any); Roslyn is the host's.
            if (name.Name is null || name.Name.StartsWith("Microsoft.", StringComparison.Ordinal) || name.Name.StartsWith("System.", StringComparison.Ordinal)) return null;
            var candidate = Path.Combine(_directory, name.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }

    /// <summary>Asks for every invocation and does nothing with it.</summary>
    // Hosted by this benchmark only, never loaded by a compiler: the rules for shipped analyzers do not apply.
#pragma warning disable RS1036, RS1041
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class EmptyOperationAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1036, RS1041
    {
        // Never reported, but an analyzer with no diagnostics is skipped by the driver, and the floor would be no floor.
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            new DiagnosticDescriptor("BENCH0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true));

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterOperationAction(_ => { }, OperationKind.Invocation);
        }
    }
}
