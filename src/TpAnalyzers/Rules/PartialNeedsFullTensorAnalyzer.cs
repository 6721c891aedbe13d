// TP0001 catches a row-parallel output that is still a partial sum (ReduceResults = false, or a method whose
// [PlacementContract] returns PartialSum) flowing into something that needs the whole value: a column layer, a dense
// layer, an activation, a norm or softmax, a product, or the module's result. Each rank then computes on one addend;
// because f(a) + f(b) is not f(a + b), the numbers are wrong on every rank, and nothing fails until run time.
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PartialNeedsFullTensorAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PartialNeedsFullTensor);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        switch (e)
        {
            // A row layer that takes a shard is fed the partial sum wrongly too, but its fix is not a plain
            // all-reduce (that would make a replica it still cannot take); only consumers of the full value are flagged.
            case ConsumeEvent consume when consume.Value.IsPartial && consume.Consumer.RejectsPartial && consume.Consumer.Required != Layout.ShardLast:
                Report(consume.Argument, consume.Value, consume.Consumer.Display, report);
                break;
            case OperatorEvent { Kind: BinaryOperatorKind.Multiply } product:
                if (product.LeftValue.IsPartial) Report(product.Left, product.LeftValue, "the product '*'", report);
                if (product.RightValue.IsPartial) Report(product.Right, product.RightValue, "the product '*'", report);
                break;
            case ReturnEvent returned when returned.Value.IsPartial && returned.Declared != Layout.PartialSum:
                // The advice to all-reduce is one way out; a method meant to hand its addend on (to a sequence-parallel
                // reduce-scatter, say) declares so instead, and the message says how.
                Report(returned.Returned, returned.Value, "the result of " + returned.Method.ContainingType.Name + "." + returned.Method.Name +
                    " (unless it declares [PlacementContract(..., PlacementKind.PartialSum)])", report);
                break;
        }
    }

    private static void Report(IOperation value, FlowValue flow, string consumer, in BodyReporter report) =>
        report.Report(Diagnostic.Create(Descriptors.PartialNeedsFullTensor, value.Syntax.GetLocation(), Text(value), flow.Origin, consumer));
}
