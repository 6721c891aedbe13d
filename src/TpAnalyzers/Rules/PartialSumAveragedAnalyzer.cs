// TP0010 — tensor-parallel partial sums reduced with ReduceOp.Average.
// A row-parallel layer leaves an addend of its output on each rank of the tensor-parallel group; the output is their
// SUM. Averaging (the data-parallel habit for gradients) silently divides every activation by the TP degree: the
// model runs, the numbers are wrong. Flags AllReduce/ReduceScatter(..., ReduceOp.Average) on a group that is the
// tensor-parallel one (mesh.TensorParallel, a DTensor's Group, or a name such as tp/tpGroup/tensorParallel), and
// Placement.Partial(ReduceOp.Average). Max and Min are left alone: vocab-parallel softmax takes a max over the TP group.
// A buffer of measured numbers (new[] { elapsed, memory }) is left alone too: averaging a metric is what it is for.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PartialSumAveragedAnalyzer : InvocationRuleAnalyzer
{
    // ReduceOp.Average in TpRuntime.
    private const int Average = 1;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PartialSumAveraged);

    private protected override bool AppliesTo(KnownTypes types) => types.ReduceOp is not null;

    private protected override void AnalyzeInvocation(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        if (types.IsGroupMethod(method, "AllReduce") || types.IsGroupMethod(method, "ReduceScatter"))
        {
            var op = Calls.Argument(invocation, "op");
            if (!Calls.IsReduceOp(op, types, Average) || types.ClassifyGroup(invocation.Instance) != GroupRole.TensorParallel) return;
            if (IsMetric(Calls.Argument(invocation, method.Name == "AllReduce" ? "buffer" : "send")?.Value)) return;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PartialSumAveraged,
                op!.Value.Syntax.GetLocation(),
                Calls.Name(invocation),
                "the tensor-parallel group '" + Operations.Text(invocation.Instance!.Syntax) + "'"));
        }
        else if (method.Name == "Partial" && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Placement))
        {
            var op = Calls.Argument(invocation, "op");
            if (!Calls.IsReduceOp(op, types, Average)) return;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PartialSumAveraged,
                op!.Value.Syntax.GetLocation(),
                Calls.Name(invocation),
                "a partial placement"));
        }
    }

    /// <summary>
    /// A buffer written element by element where it is made (<c>new[] { (float)elapsed, loss }</c>), held in a local or
    /// given directly: numbers each rank measured, such as a time or a memory figure, whose mean over the group is what
    /// the author wants. A layer's addend or a gradient comes from a tensor, never from a list of values.
    /// </summary>
    private static bool IsMetric(IOperation? buffer)
    {
        var value = Operations.Unwrap(buffer);
        if (value is ILocalReferenceOperation local) value = Operations.Unwrap(Operations.InitializerOf(local));
        return value is IArrayCreationOperation { Initializer.ElementValues.Length: > 0 };
    }
}
