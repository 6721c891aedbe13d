using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Tests;

/// <summary>
/// Correct model code as users write it, one program per file under <c>Corpus/Correct</c>: Llama attention with
/// grouped-query heads and a KV cache, GPT-2 blocks, DP x TP training loops, sequence parallelism, hand-cut vocabulary
/// shards, retries, rank-ordered logging, checkpoints, generation (greedy, beam, speculative, streaming), a batched
/// server, launchers, LoRA adapters, mixture-of-experts routers, stop votes. Each file must compile and get no diagnostic from any rule;
/// the guards below make one edit per file that turns it wrong and require the rule that must then speak, so that a
/// rule which stopped reading the code could not pass the first test.
/// </summary>
public sealed class CorrectCodeFilesTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "Corpus", "Correct");

    public static TheoryData<string> Files()
    {
        var files = new TheoryData<string>();
        foreach (var path in System.IO.Directory.GetFiles(Directory, "*.cs").Order(StringComparer.Ordinal)) files.Add(Path.GetFileName(path));
        return files;
    }

    [Fact]
    public void The_corpus_is_there() => Assert.True(Files().Count >= 60, $"Expected the correct-code files under {Directory}.");

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Correct_code_gets_no_diagnostic(string file)
    {
        var diagnostics = await Analyze(file, File.ReadAllText(Path.Combine(Directory, file)));
        Assert.True(diagnostics.IsEmpty, file + ": " + string.Join("; ", diagnostics.Select(d => $"{d.Id} line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.GetMessage()}")));
    }

    [Theory]
    [InlineData("dp_conditions.cs", "if (dp.Rank == 0)", "if (mesh.World.Rank == 0)", "TP0015")]
    [InlineData("balanced_retry.cs", "catch (CollectiveMismatchException) when (attempt < 3)", "catch (InvalidOperationException) when (attempt < 3)", "TP0015")]
    [InlineData("loops_continue.cs", "tp.Broadcast(chunk, rank);", "if (rank == tp.Rank) tp.Broadcast(chunk, rank);", "TP0015")]
    [InlineData("partial_metadata.cs", "Console.WriteLine(p);", "Console.WriteLine(p.ToTensor());", "TP0009")]
    [InlineData("kv_budget.cs", "Math.Min(maxTokens, 8192)", "Math.Min(maxTokens / tp.Size, 8192)", "TP0012")]
    [InlineData("group_records.cs", "var memory = new[] { (float)GC.GetTotalMemory(false) };", "var memory = g.Weight;", "TP0010")]
    [InlineData("vote_variants.cs", "            tp.Broadcast(flag, 0);\n", "", "TP0015")]
    [InlineData("balanced_helpers.cs", "else y = mlp.Forward(x);", "else y = x;", "TP0015")]
    [InlineData("gather_then_use.cs", "            hook(full);\n            Console.WriteLine($\"hidden max {System.Numerics.Tensors.TensorPrimitives.Max(full.LocalSpan):F3}\");\n", "", "TP0005")]
    [InlineData("sequence_parallel.cs", "[PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]\n    public DTensor Forward(DTensor full) =>", "public DTensor Forward(DTensor full) =>", "TP0001")]
    public async Task The_same_file_made_wrong_is_flagged(string file, string right, string wrong, string id)
    {
        var source = File.ReadAllText(Path.Combine(Directory, file)).ReplaceLineEndings("\n");
        Assert.Contains(right, source);
        var diagnostics = await Analyze(file, source.Replace(right, wrong));
        Assert.Contains(diagnostics, d => d.Id == id);
    }

    private static async Task<ImmutableArray<Diagnostic>> Analyze(string file, string source)
    {
        var compilation = CSharpCompilation.Create(
            Path.GetFileNameWithoutExtension(file),
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: file)],
            CorrectModelCorpusTests.References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, file + " does not compile: " + string.Join("; ", errors.Take(3)));
        return await compilation.WithAnalyzers(CatalogTests.AllAnalyzers().ToImmutableArray()).GetAnalyzerDiagnosticsAsync();
    }
}
