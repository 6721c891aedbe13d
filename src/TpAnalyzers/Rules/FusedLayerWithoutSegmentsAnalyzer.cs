// TP0022 — a fused layer split contiguously instead of per segment.
// A column layer whose output is several projections side by side (q|k|v, gate|up) must be cut segment by segment:
// each rank takes its heads of q, of k and of v. Without an OutputLayout the split is one contiguous block per rank,
// so at tp = 2 rank 0 holds all the queries and half the keys, and attention reads garbage (Megatron #985, vLLM
// #42803). The fused shape is recognised by how its size is written, a sum of segment sizes
// (new(hidden, (heads + 2 * kvHeads) * headDim), new(hidden, intermediate + intermediate)), not by the member's name.
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;
using TpCodegen.Roslyn;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FusedLayerWithoutSegmentsAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.FusedLayerWithoutSegments);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.TryCreate(start.Compilation) is not { TensorParallelAttribute: not null } types) return;
            SourceOperationActions.RegisterOperationAction(
                start,
                c => Analyze(c, types),
                OperationKind.PropertyInitializer, OperationKind.FieldInitializer, OperationKind.SimpleAssignment);
        });
    }

    private static void Analyze(SourceOperationContext context, KnownTypes types)
    {
        foreach (var creation in LinearCreation.From(context.Operation, types))
        {
            if (TensorParallelAttributeReader.Find(creation.Member)?.Split is not { Divides: DividedDimension.OutFeatures, Kind: SplitKind.Column }) continue;
            if (creation.Argument("outFeatures")?.Value is not { } size || !IsSumOfSegments(size.Syntax)) continue;
            if (SetsOutputLayout(creation.Creation)) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.FusedLayerWithoutSegments, size.Syntax.GetLocation(), creation.Member.Name, "'" + Operations.Text(size.Syntax) + "'"));
        }
    }

    /// <summary>A size written as a sum (<c>a + b</c>, <c>(h + 2 * kv) * d</c>): several segments side by side.</summary>
    private static bool IsSumOfSegments(SyntaxNode size) =>
        size.DescendantNodesAndSelf().Any(n => n.IsKind(SyntaxKind.AddExpression));

    private static bool SetsOutputLayout(IObjectCreationOperation creation) =>
        creation.Initializer?.Initializers.Any(i => i is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "OutputLayout" } }) == true;
}
