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
/// then the compiler's per-analyzer execution times (<see cref="AnalyzerBenchmarks.ReportAnalyzerTime"/>).
/// Run: dotnet run -c Release --project bench/TpBench -- --analyzer-times [rounds]
/// </summary>
internal static class AnalyzerTimes
{
    public static void Run(int rounds)
    {
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        var floor = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationAnalyzer());
        var sides = new (string Name, Func<int> Run)[]
        {
            ("compile", bench.WithoutAnalyzers),
            ("+ empty operation analyzer", () => bench.Analyze(floor)),
            ("+ TpCodegen analyzers", bench.WithAnalyzers),
        };
        // Warm every path (JIT, Roslyn's caches of the references) before timing.
        for (int i = 0; i < 2; i++)
        {
            foreach (var side in sides) side.Run();
        }
        var wall = sides.Select(_ => new List<double>()).ToArray();
        var cpu = sides.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int s = 0; s < sides.Length; s++)
            {
                var (w, c) = Time(sides[s].Run);
                wall[s].Add(w);
                cpu[s].Add(c);
            }
            Console.WriteLine($"round {round + 1}: " + string.Join(", ", sides.Select((side, s) => $"{side.Name} {wall[s][^1]:F0} ms ({cpu[s][^1]:F0} cpu)")));
        }
        Console.WriteLine($"median of {rounds} rounds (wall / cpu ms, ratio to compile):");
        for (int s = 0; s < sides.Length; s++)
        {
            Console.WriteLine($"  {sides[s].Name,-28} {Median(wall[s]),7:F1} / {Median(cpu[s]),7:F1}   {Median(wall[s]) / Median(wall[0]):F2}x / {Median(cpu[s]) / Median(cpu[0]):F2}x");
        }
        bench.ReportAnalyzerTime();
    }

    private static (double Wall, double Cpu) Time(Func<int> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        action();
        watch.Stop();
        process.Refresh();
        return (watch.Elapsed.TotalMilliseconds, (process.TotalProcessorTime - cpu).TotalMilliseconds);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Asks for every invocation and does nothing with it.</summary>
    // Hosted by this benchmark only, never loaded by a compiler: the rules for shipped analyzers do not apply.
#pragma warning disable RS1036, RS1041
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class EmptyOperationAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1036, RS1041
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray<DiagnosticDescriptor>.Empty;

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterOperationAction(_ => { }, OperationKind.Invocation);
        }
    }
}
