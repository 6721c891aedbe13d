// TP0002 catches a replicated value (a residual, a bias) added to a partial sum before the all-reduce:
// `Down.Forward(h) + x` where Down keeps its output partial. Every rank adds its own copy of x to its addend, so the
// reduce sums tp copies of it: the result is off by (tp - 1) * x, silently, and only when tp > 1. The add may be in a
// helper of the compilation the partial sum is passed to (a fused bias-dropout-add), or one that adds the replica it is
// given to a partial sum of its own (a Residual helper): the call is flagged.
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
public sealed class PartialAddedBeforeReduceAnalyzer : PlacementRuleAnalyzer
{
    /// <summary>Diagnostic property naming the partial operand, "Left" or "Right", for the code fix.</summary>
    public const string PartialOperandKey = "PartialOperand";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PartialAddedBeforeReduce);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is CalleeAddEvent { Value.IsPartial: true, AddedValue: { IsKnown: true, Layout: Layout.Replicate } } callee)
        {
            // The add is in the helper; the call is where the partial sum goes in. No code fix: the reduce belongs before
            // the call, or the add after it, and which one depends on the helper.
            report.Report(Diagnostic.Create(
                Descriptors.PartialAddedBeforeReduce,
                callee.Argument.Syntax.GetLocation(),
                Text(callee.Argument), callee.Value.Origin, callee.Added, callee.AddedOrigin + ", added inside '" + callee.Callee + "'"));
            return;
        }
        if (e is CalleeAddEvent { Value: { IsKnown: true, Layout: Layout.Replicate }, AddedValue.IsPartial: true, AddedIsArgument: false } residual)
        {
            // The mirror: a replica goes in, and the helper adds it to a partial sum of its own (x + Mlp(x) in a
            // Residual helper): the call is flagged where the replica is passed.
            report.Report(Diagnostic.Create(
                Descriptors.PartialAddedBeforeReduce,
                residual.Argument.Syntax.GetLocation(),
                residual.Added, residual.AddedOrigin, Text(residual.Argument), residual.Value.Origin + ", added inside '" + residual.Callee + "'"));
            return;
        }
        if (e is not OperatorEvent { Kind: BinaryOperatorKind.Add } sum) return;
        bool leftPartial = sum.LeftValue.IsPartial && sum.RightValue.IsKnown && sum.RightValue.Layout == Layout.Replicate;
        bool rightPartial = sum.RightValue.IsPartial && sum.LeftValue.IsKnown && sum.LeftValue.Layout == Layout.Replicate;
        if (!leftPartial && !rightPartial) return;

        var (partial, partialValue, replicated, replicatedValue) = leftPartial
            ? (sum.Left, sum.LeftValue, sum.Right, sum.RightValue)
            : (sum.Right, sum.RightValue, sum.Left, sum.LeftValue);
        var properties = ImmutableDictionary<string, string?>.Empty.Add(PartialOperandKey, leftPartial ? "Left" : "Right");
        report.Report(Diagnostic.Create(
            Descriptors.PartialAddedBeforeReduce,
            sum.Operation.Syntax.GetLocation(),
            properties,
            Text(partial), partialValue.Origin, Text(replicated), replicatedValue.Origin));
    }
}
