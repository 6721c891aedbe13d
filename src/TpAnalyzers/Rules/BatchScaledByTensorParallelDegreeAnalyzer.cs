// TP0013 — a batch size multiplied by the tensor-parallel degree.
// Tensor parallelism splits each layer's width across the ranks of a group; those ranks work on one shared batch.
// Multiplying the batch by the TP degree (batchSize * tp.Size, globalBatch *= tensorParallel) is the data-parallel
// formula applied to the wrong axis: the global batch, the learning-rate scaling and every throughput figure come out
// tp times too large. The data-parallel degree is the factor.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BatchScaledByTensorParallelDegreeAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.BatchScaledByTensorParallelDegree);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var types = KnownTypes.TryCreate(start.Compilation);
            if (types is null) return;
            SourceOperationActions.RegisterOperationAction(start, c => Analyze(c, types), OperationKind.Binary, OperationKind.CompoundAssignment);
        });
    }

    private static void Analyze(SourceOperationContext context, KnownTypes types)
    {
        var (left, right) = context.Operation switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply } binary => (binary.LeftOperand, binary.RightOperand),
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Multiply } compound => (compound.Target, compound.Value),
            _ => (null, null),
        };
        if (left is null || right is null) return;
        foreach (var (batch, degree) in new[] { (left, right), (right, left) })
        {
            if (Operations.ReferencedName(batch) is not { } name || !Names.IsBatch(name) || !IsDegree(degree, types)) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.BatchScaledByTensorParallelDegree,
                context.Operation.Syntax.GetLocation(),
                Operations.Text(context.Operation.Syntax),
                name,
                Operations.Text(Operations.Unwrap(degree)!.Syntax)));
            return;
        }
    }

    /// <summary><c>tp.Size</c>, <c>mesh.TensorParallel.Size</c>, or an integer named tp, tpDegree, tensorParallel, ...</summary>
    private static bool IsDegree(IOperation operation, KnownTypes types)
    {
        if (types.IsGroupPropertyOf(operation, "Size", GroupRole.TensorParallel)) return true;
        var unwrapped = Operations.Unwrap(operation);
        return unwrapped?.Type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 &&
               unwrapped is not IPropertyReferenceOperation { Property.Name: "Rank" } &&
               Operations.ReferencedName(unwrapped) is { } name && Names.IsTensorParallel(name) && !Names.IsRank(name);
    }
}
