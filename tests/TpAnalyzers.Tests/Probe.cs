using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Tests.Rules;
using TpCodegen.Analyzers.Tests.Verifiers;
using Xunit.Abstractions;

namespace TpCodegen.Analyzers.Tests;

public sealed class Probe(ITestOutputHelper output)
{
    [Fact]
    public async Task Run()
    {
        foreach (var file in Directory.GetFiles("/tmp/probe", "*.cs").Order())
        {
            var source = File.ReadAllText(file);
            var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
            var references = platform.Concat(TestReferences.Runtime).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
            var compilation = CSharpCompilation.Create("Probe", [CSharpSyntaxTree.ParseText(source.Replace("LAYERS", Modules.Layers))], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var analyzers = CatalogTests.AllAnalyzers().ToImmutableArray();
            var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
            output.WriteLine($"== {Path.GetFileName(file)}: {errors.Count} compile errors" + string.Concat(errors.Take(3).Select(e => "\n   CS: " + e)));
            foreach (var d in diagnostics.Where(d => d.Id.StartsWith("TP") || d.Id == "AD0001").OrderBy(d => d.Location.SourceSpan.Start))
                output.WriteLine($"   {d.Id} line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.GetMessage()[..Math.Min(160, d.GetMessage().Length)]}");
        }
    }
}
