using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Rules;
using TpCodegen.Analyzers.Tests.Verifiers;

namespace TpCodegen.Analyzers.Tests.Rules;

/// <summary>The parallelism rules on half-typed code: they may stay silent, but they never throw (AD0001).</summary>
public sealed class ParallelismRobustnessTests
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(
        new PartialSumAveragedAnalyzer(),
        new ShardReducedOverTensorParallelGroupAnalyzer(),
        new DataSplitByTensorParallelGroupAnalyzer(),
        new BatchScaledByTensorParallelDegreeAnalyzer(),
        new ShapeNotDivisibleAnalyzer(),
        new CollectiveUnderRankConditionAnalyzer(),
        new CollectiveOverWrongGroupAnalyzer(),
        new UnsupportedTensorParallelTargetAnalyzer(),
        new ConflictingTensorParallelOptionsAnalyzer());

    public static TheoryData<string> BrokenSources { get; } = new()
    {
        // Attribute with no split, a split that does not bind, options without values.
        """
        using TpCodegen;
        partial class Mlp
        {
            [TensorParallel] public Linear A { get; } = new(;
            [TensorParallel(Split.Diagonal, ReduceResults = )] public Linear B { get; } = new(4, );
            [TensorParallel(Split.Row, GatherOutput = true, GatherOutput = true)] public Linear C = new Linear(11008, 4096, bias: );
            [TensorParallel(Split.Column)] public Missing D { get; }
            private const int TpDegree = 0;
            private const int NumHeads = 0;
        }
        """,
        // Collectives with missing arguments, unknown groups and conditions.
        """
        using TpCodegen;
        using TpCodegen.Collectives;
        class Training
        {
            void Step(DeviceMesh mesh, ProcessGroup tp, DTensor x)
            {
                if (tp.Rank == ) tp.AllReduce(;
                mesh.TensorParallel.AllReduce(x.LocalSpan, ReduceOp.);
                mesh.DataParallel.AllReduce(undefined.Forward(x).LocalSpan);
                var y = y;
                tp.AllReduce(y, ReduceOp.Average);
                Placement.Partial(ReduceOp.Average, 3);
                int batch = batchSize * tp.Size + tokens / tp.Size;
                while (rank) { tp.Barrier(); }
                switch (tp.Rank) { case : tp.Barrier(); }
                DeviceMesh.Create(null, , 3);
                Mlp.ShardFrom(, mesh.DataParallel);
                return tp.Rank == 0 ? x.FullTensor() : ;
            }
        }
        """,
        // No TpRuntime types in sight at all.
        """
        class Plain
        {
            void M(int batchSize, int tp) { var x = batchSize * tp; if (rank == 0) Barrier(); }
        }
        """,
    };

    [Theory]
    [MemberData(nameof(BrokenSources))]
    public async Task Broken_code_does_not_crash_the_analyzers(string source)
    {
        var references = await TestReferences.Net10.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var compilation = CSharpCompilation.Create(
            "Broken",
            [CSharpSyntaxTree.ParseText(source)],
            references.Add(MetadataReference.CreateFromFile(TestReferences.TpRuntime)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var exceptions = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]),
            onAnalyzerException: (exception, _, _) => { lock (exceptions) exceptions.Add(exception); },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(Analyzers, options).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(exceptions);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }
}
