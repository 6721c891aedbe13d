using System.Collections.Immutable;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Bench;

/// <summary>
/// What the TpCodegen analyzers add to a build: a synthetic project of <see cref="Modules"/> modules (a Llama MLP
/// Forward each, every tenth with a placement mistake) compiled to diagnostics without analyzers (the baseline) and
/// with every analyzer in the TpAnalyzers assembly. The Ratio column is the figure: analyzed time / compile time.
/// Parsing is done once in setup; each iteration binds a fresh compilation, as a build does.
/// Run: dotnet run -c Release --project bench/TpBench -- --filter '*AnalyzerBenchmarks*'
/// </summary>
[Config(typeof(InProcessShortRun))]
[MemoryDiagnoser]
public class AnalyzerBenchmarks
{
    public const int Modules = 500;

    private ImmutableArray<SyntaxTree> _trees;
    private ImmutableArray<MetadataReference> _references;
    private ImmutableArray<DiagnosticAnalyzer> _analyzers;

    [GlobalSetup]
    public void Setup()
    {
        _trees = Enumerable.Range(0, Modules)
            .Select(i => CSharpSyntaxTree.ParseText(Module(i), new CSharpParseOptions(LanguageVersion.Latest), path: $"Module{i}.cs"))
            .ToImmutableArray();
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        _references = platform
            .Append(typeof(Linear).Assembly.Location)
            .Append(typeof(System.Numerics.Tensors.Tensor<float>).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
        _analyzers = AnalyzersIn(typeof(TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer).Assembly);
        int reported = WithAnalyzers();
        if (reported < Modules / 10) throw new InvalidOperationException($"Expected the seeded mistakes to be reported, got {reported} diagnostics.");
        ReportAnalyzerTime();
    }

    /// <summary>
    /// The driver's own account of the time spent inside each analyzer (the wall-clock ratio of a short run on a shared
    /// machine is noisy; this figure is not), printed beside the compile time of the same compilation.
    /// </summary>
    private void ReportAnalyzerTime()
    {
        var compile = System.Diagnostics.Stopwatch.StartNew();
        NewCompilation().GetDiagnostics();
        compile.Stop();
        var times = AnalyzerTimes();
        var total = TimeSpan.Zero;
        foreach (var (name, time) in times)
        {
            total += time;
            Console.WriteLine($"// analyzer {name}: {time.TotalMilliseconds:F1} ms");
        }
        Console.WriteLine($"// {Modules} modules: analyzers {total.TotalMilliseconds:F1} ms in all, compile {compile.Elapsed.TotalMilliseconds:F1} ms: {total.TotalMilliseconds / compile.Elapsed.TotalMilliseconds:P1} of the compile");
    }

    /// <summary>The compiler's execution time of each analyzer over one analysis of the compilation.</summary>
    internal IReadOnlyList<(string Analyzer, TimeSpan Time)> AnalyzerTimes()
    {
        var withAnalyzers = NewCompilation().WithAnalyzers(_analyzers, new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
        withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return _analyzers
            .Select(a => (a.GetType().Name, withAnalyzers.GetAnalyzerTelemetryInfoAsync(a, default).GetAwaiter().GetResult().ExecutionTime))
            .ToList();
    }

    /// <summary>Every analyzer an assembly ships, found the way a host finds them.</summary>
    internal static ImmutableArray<DiagnosticAnalyzer> AnalyzersIn(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    [Benchmark(Baseline = true, Description = "compile, no analyzers")]
    public int WithoutAnalyzers() => NewCompilation().GetDiagnostics().Length;

    [Benchmark(Description = "compile + TpCodegen analyzers")]
    public int WithAnalyzers() => Analyze(_analyzers);

    /// <summary>Compiles to all diagnostics with <paramref name="analyzers"/>; the count of TP diagnostics.</summary>
    internal int Analyze(ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        NewCompilation()
            .WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), null, concurrentAnalysis: false, logAnalyzerExecutionTime: false))
            .GetAllDiagnosticsAsync().GetAwaiter().GetResult()
            .Count(d => d.Id.StartsWith("TP", StringComparison.Ordinal));

    // Single-threaded on both sides: the ratio then measures the analyzers' work, not how the two paths use the
    // cores of a shared machine.
    private CSharpCompilation NewCompilation() =>
        CSharpCompilation.Create("Synthetic", _trees, _references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, concurrentBuild: false));

    internal static string Module(int i) => $$"""
        using System;
        using TpCodegen;

        public partial class Module{{i}}
        {
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(64, 256);
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
            [TensorParallel(Split.Row{{(i % 10 == 0 ? ", ReduceResults = false" : "")}})] public Linear Down { get; } = new(256, 64);
            public Linear Proj { get; } = new(64, 64);

            public DTensor Forward(DTensor x)
            {
                var h = Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
                var r = h + x;
                for (int step = 0; step < 2; step++) r = Proj.Forward(r);
                if (r.Tokens > 1) r = Proj.Forward(r);
                return r;
            }

            public DTensor Residual(DTensor x, int layers)
            {
                var y = x;
                for (int l = 0; l < layers; l++) y = y + Down.Forward(Ops.Gelu(Up.Forward(y)));
                Console.WriteLine($"{y.Tokens} tokens");
                return y;
            }
        }
        """;

    /// <summary>A short run in this process: the analyzers are measured, not BenchmarkDotNet's project build.</summary>
    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun()
        {
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
        }
    }
}
