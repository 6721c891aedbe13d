using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TpCodegen.Generator;

namespace TpCodegen.Bench;

/// <summary>
/// The generator over a synthetic compilation of 1,000 marked layers (250 attention modules: q, k, v column + o row).
/// FirstRun: a fresh driver on a fresh compilation (symbols not yet bound), what a command-line build pays.
/// CachedRerun: a driver that has seen the compilation runs again after an unrelated edit, what each IDE keystroke
/// pays; every step should come from the cache.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Modules = 250;

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warmDriver = null!;

    [GlobalSetup]
    public void Setup()
    {
        var trees = Enumerable.Range(0, Modules).Select(i => CSharpSyntaxTree.ParseText(Module(i), path: $"Module{i}.cs")).ToList();
        _compilation = CSharpCompilation.Create("Synthetic", trees, References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        _edited = _compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Other; public static class Edit { public static int One() => 1; }"));

        _warmDriver = CreateDriver().RunGenerators(_compilation);
        int generated = _warmDriver.GetRunResult().GeneratedTrees.Length;
        if (generated != Modules * 5) throw new InvalidOperationException($"Expected {Modules * 5} generated files, got {generated}.");
    }

    [Benchmark(Description = "first run, 1,000 layers")]
    public GeneratorDriver FirstRun() => CreateDriver().RunGenerators(_compilation.Clone());

    [Benchmark(Description = "cached re-run after an unrelated edit")]
    public GeneratorDriver CachedRerun() => _warmDriver.RunGenerators(_edited);

    private static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(new TensorParallelGenerator());

    private static string Module(int i) => new StringBuilder()
        .Append("using TpCodegen;\nnamespace Synthetic.N").Append(i % 10).Append(";\n")
        .Append("public partial class Attention").Append(i).Append("(int hidden)\n{\n")
        .Append("    [TensorParallel(Split.Column)] public Linear Q { get; } = new(hidden, hidden);\n")
        .Append("    [TensorParallel(Split.Column)] public Linear K { get; } = new(hidden, hidden);\n")
        .Append("    [TensorParallel(Split.Column)] public Linear V { get; } = new(hidden, hidden);\n")
        .Append("    [TensorParallel(Split.Row)] public Linear O { get; } = new(").Append(64 * (i + 1)).Append(", 4096);\n")
        .Append("}\n")
        .ToString();

    private static IEnumerable<MetadataReference> References()
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == framework)
            .Append(typeof(Linear).Assembly.Location)
            .DistinctBy(Path.GetFileName)
            .Select(p => MetadataReference.CreateFromFile(p));
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.ShortRun);
    }
}
