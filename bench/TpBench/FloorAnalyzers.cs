using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Bench;

/// <summary>
/// The floors under any analyzer, written once and compiled here from source, so that the real build
/// (<see cref="AnalyzerBuild"/>, which hands csc the image as a file) and the in-process harness
/// (<see cref="AnalyzerFloors"/>, which loads it) measure the same analyzers: one that registers a semantic model
/// action and does nothing (the compiler's own cost of running analyzers at all: its compilation events, a semantic
/// model per tree), and one that also reads every member body's operations (what any IOperation rule pays once).
/// </summary>
internal static class FloorAnalyzers
{
    public sealed record Floor(string Name, string Description, byte[] Image)
    {
        // Loaded into this process once, however many instances are made.
        private readonly Lazy<Type> _type = new(() => Assembly.Load(Image).GetType(Name)!);

        /// <summary>A new instance of the analyzer, loaded into this process.</summary>
        public DiagnosticAnalyzer Create() => (DiagnosticAnalyzer)Activator.CreateInstance(_type.Value)!;
    }

    public static IReadOnlyList<Floor> All { get; } =
    [
        new("EmptyAnalyzer", "an empty analyzer", Compile("EmptyAnalyzer", "")),
        new("BodyOperationsAnalyzer", "every body's operations", Compile("BodyOperationsAnalyzer", ReadBodies)),
    ];

    // What the second floor does in its semantic model action.
    private const string ReadBodies = """
                    int operations = 0;
                    foreach (var body in model.SemanticModel.SyntaxTree.GetRoot(model.CancellationToken).DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax>())
                    {
                        if (model.SemanticModel.GetOperation(body, model.CancellationToken) is { } root) operations += System.Linq.Enumerable.Count(Microsoft.CodeAnalysis.Operations.OperationExtensions.DescendantsAndSelf(root));
                    }
                    System.GC.KeepAlive(operations);
        """;

    private static byte[] Compile(string name, string action)
    {
        string source = $$"""
            using System.Collections.Immutable;
            using System.Linq;
            using Microsoft.CodeAnalysis;
            using Microsoft.CodeAnalysis.Diagnostics;

            [DiagnosticAnalyzer(LanguageNames.CSharp)]
            public sealed class {{name}} : DiagnosticAnalyzer
            {
                public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
                    new DiagnosticDescriptor("FLOOR0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true));

                public override void Initialize(AnalysisContext context)
                {
                    context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
                    context.EnableConcurrentExecution();
                    context.RegisterSemanticModelAction(model =>
                    {
            {{action}}
                    });
                }
            }
            """;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(Compilation).Assembly.Location)
            .Append(typeof(CSharpCompilation).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(name, [CSharpSyntaxTree.ParseText(source)], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success) throw new InvalidOperationException($"The floor analyzer {name} did not compile: " + string.Join("; ", emitted.Diagnostics));
        return image.ToArray();
    }
}
