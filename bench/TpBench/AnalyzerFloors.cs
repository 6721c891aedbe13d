using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Bench;

/// <summary>
/// The floors under any analyzer in the in-process harness, measured in the same rounds as these analyzers: the
/// compile alone; an analyzer that registers one semantic model action and does nothing (the driver's own cost: its
/// compilation events and per-tree dispatch), once and as 22 copies (one per rule, as TpAnalyzers ships them); and one
/// that also asks the driver's semantic model for the operation tree of every member body and walks it (what any
/// IOperation rule has to pay once: the tree is made from the compiler's bound nodes).
/// Run: dotnet run -c Release --project bench/TpBench -- --analyzer-floors [rounds]
/// </summary>
internal static class AnalyzerFloors
{
    public static void Run(int rounds)
    {
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        var sides = new List<(string Name, Func<int> Run)>
        {
            ("compile", bench.WithoutAnalyzers),
            ("+ one empty model action", () => bench.Analyze([new EmptyModelAnalyzer()])),
            ("+ 22 empty model actions", () => bench.Analyze(Enumerable.Range(0, 22).Select(_ => (DiagnosticAnalyzer)new EmptyModelAnalyzer()).ToImmutableArray())),
            ("+ every body's operations", () => bench.Analyze([new BodyOperationsAnalyzer()])),
            ("+ TpCodegen analyzers", bench.WithAnalyzers),
        };
        for (int i = 0; i < 2; i++)
        {
            foreach (var side in sides) side.Run();
        }
        var wall = sides.Select(_ => new List<double>()).ToArray();
        var allocated = sides.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int s = 0; s < sides.Count; s++)
            {
                GC.Collect();
                long bytes = GC.GetTotalAllocatedBytes(precise: true);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                sides[s].Run();
                wall[s].Add(watch.Elapsed.TotalMilliseconds);
                allocated[s].Add((GC.GetTotalAllocatedBytes(precise: true) - bytes) / 1048576.0);
            }
        }
        Console.WriteLine($"median of {rounds} rounds (wall ms, ratio to the compile; MB allocated):");
        for (int s = 0; s < sides.Count; s++)
            Console.WriteLine($"  {sides[s].Name,-28} {AnalyzerTimes.Median(wall[s]),7:F1}   {AnalyzerTimes.Median(wall[s]) / AnalyzerTimes.Median(wall[0]):F2}x   {AnalyzerTimes.Median(allocated[s]),6:F1} MB");
    }

    // Hosted by this benchmark only, never loaded by a compiler: the rules for shipped analyzers do not apply.
#pragma warning disable RS1036, RS1041
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class EmptyModelAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1036, RS1041
    {
        // Never reported, but an analyzer with no diagnostics is skipped by the driver.
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            new DiagnosticDescriptor("BENCH0002", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true));

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterSemanticModelAction(_ => { });
        }
    }

#pragma warning disable RS1036, RS1041
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class BodyOperationsAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1036, RS1041
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            new DiagnosticDescriptor("BENCH0003", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true));

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterSemanticModelAction(model =>
            {
                int operations = 0;
                foreach (var body in model.SemanticModel.SyntaxTree.GetRoot(model.CancellationToken).DescendantNodes().OfType<BaseMethodDeclarationSyntax>())
                {
                    if (model.SemanticModel.GetOperation(body, model.CancellationToken) is { } root) operations += root.DescendantsAndSelf().Count();
                }
                GC.KeepAlive(operations);
            });
        }
    }
}
