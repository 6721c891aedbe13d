// TP0013 — a batch size multiplied by the tensor-parallel degree.
// Tensor parallelism splits each layer's width across the ranks of a group; those ranks work on one shared batch.
// Multiplying the batch by the TP degree (batchSize * tp.Size, globalBatch *= tensorParallel) is the data-parallel
// formula applied to the wrong axis: the global batch, the learning-rate scaling and every throughput figure come out
// tp times too large. The data-parallel degree is the factor.
using System.Collections.Generic;
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
        // A product of several factors (microBatch * accumulation * tp.Size) is read whole, once, at its outermost '*'.
        var factors = new List<IOperation>();
        switch (context.Operation)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply } binary when !IsFactorOfProduct(binary):
                AddFactors(binary, factors);
                break;
            case ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Multiply } compound:
                factors.Add(compound.Target);
                AddFactors(compound.Value, factors);
                break;
            default:
                return;
        }
        string? batch = null;
        IOperation? degree = null;
        foreach (var factor in factors)
        {
            if (batch is null && Operations.ReferencedName(factor) is { } name && Names.IsBatch(name)) batch = name;
            else if (degree is null && IsDegree(factor, types)) degree = factor;
        }
        if (batch is null || degree is null) return;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.BatchScaledByTensorParallelDegree,
            context.Operation.Syntax.GetLocation(),
            Operations.Text(context.Operation.Syntax),
            batch,
            Operations.Text(Operations.Unwrap(degree)!.Syntax)));
    }

    private static bool IsFactorOfProduct(IOperation product)
    {
        var parent = product.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation) parent = parent.Parent;
        return parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply };
    }

    // Left to right, on an explicit stack: a generated product thousands of factors long is no recursion.
    private static void AddFactors(IOperation operation, List<IOperation> factors)
    {
        var pending = new Stack<IOperation>();
        pending.Push(operation);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (Operations.Unwrap(next) is IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply } product)
            {
                pending.Push(product.RightOperand);
                pending.Push(product.LeftOperand);
            }
            else
            {
                factors.Add(next);
            }
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
