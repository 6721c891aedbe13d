// TP0024 — a token shard (sequence parallelism's Shard(-2)) used without the gather or the reduce-scatter.
// Under sequence parallelism each rank holds a run of tokens of the residual stream. Column layers and attention need
// every token (all-gather first, .Redistribute(Placement.Replicate)); a row layer's partial sum is reduce-scattered over
// the tokens (.Redistribute(Placement.Shard(-2))) before it is added back. Feeding the shard to a layer, or adding it to a
// partial sum or to a value of another placement, skips one of them: the runtime throws on the cluster, the analyzer says
// so in the editor. Wrapping a replica's block as a token shard (DTensor.FromLocal) moves nothing and tiles the sequence
// tp times (pytorch #129355). A module's own input, assumed replicated, is never the other value flagged: under sequence
// parallelism it may well be a token shard.
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
public sealed class TokenShardWithoutGatherAnalyzer : PlacementRuleAnalyzer
{
    /// <summary>Diagnostic property: the operand (Left or Right) to redistribute, for the code fix; absent when the fix is not mechanical.</summary>
    public const string RedistributeOperandKey = "RedistributeOperand";

    /// <summary>Diagnostic property: the placement that operand is moved to, "Replicate" or "Shard(-2)".</summary>
    public const string TargetKey = "Target";

    /// <summary>Diagnostic property, set when the diagnosed call wraps another DTensor's block under a placement: the fix redistributes that DTensor instead.</summary>
    public const string RelabelKey = "Relabel";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.TokenShardWithoutGather);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        switch (e)
        {
            case ConsumeEvent consume when IsTokenShard(consume.Value) && consume.Consumer.Required is Layout.Replicate or Layout.ShardLast:
                {
                    string value = Text(consume.Argument);
                    string needs = consume.Consumer.Required == Layout.Replicate ? "every token, replicated" : "its input split by features, Shard(-1)";
                    var properties = ImmutableDictionary<string, string?>.Empty.Add(TargetKey, "Replicate");
                    report.Report(Diagnostic.Create(
                        Descriptors.TokenShardWithoutGather, consume.Argument.Syntax.GetLocation(), properties,
                        value, consume.Value.Origin, consume.Consumer.Display + " needs " + needs,
                        "all-gather the tokens first with " + CallOn(value, ".Redistribute(Placement.Replicate)")));
                    break;
                }
            case OperatorEvent op:
                Operator(op, report);
                break;
            // A block told it is another placement than it is: a replica labelled a token shard makes every rank claim the
            // whole sequence as its run (the sequence is tiled tp times, pytorch #129355); a token shard labelled a replica
            // makes each rank's run pass for the whole sequence.
            case RelabelEvent relabel when IsRelabelBetweenReplicaAndTokens(relabel):
                Relabel(relabel, report);
                break;
            // The add is in a helper of the compilation (a block's residual add): the call is where the token shard goes in.
            // No code fix: the reduce-scatter belongs inside the helper.
            case CalleeAddEvent callee when IsTokenShard(callee.Value) && callee.AddedValue.IsKnown && !IsTokenShard(callee.AddedValue) && !IsModuleInput(callee.AddedValue):
                {
                    var (problem, fix) = Mismatch("'" + callee.Callee + "' adds it to", callee.Added, callee.AddedValue);
                    report.Report(Diagnostic.Create(
                        Descriptors.TokenShardWithoutGather, callee.Argument.Syntax.GetLocation(),
                        Text(callee.Argument), callee.Value.Origin, problem, fix + " in '" + callee.Callee + "'"));
                    break;
                }
        }
    }

    /// <summary>What is wrong with combining a token shard with <paramref name="other"/>, and what to do about it.</summary>
    private static (string Problem, string Fix) Mismatch(string combined, string otherText, FlowValue other) => other.IsPartial
        ? (combined + " '" + otherText + "', a partial sum (" + other.Origin + ")",
           "reduce-scatter that over the tokens first with " + CallOn(otherText, ".Redistribute(Placement.Shard(-2))"))
        : (combined + " '" + otherText + "', " + PlacementApis.Describe(other.Layout) + " (" + other.Origin + ")",
           "split that by tokens too with " + CallOn(otherText, ".Redistribute(Placement.Shard(-2))"));

    private static void Relabel(RelabelEvent relabel, in BodyReporter report)
    {
        var owner = relabel.Local is IPropertyReferenceOperation { Instance: { } instance } ? instance : relabel.Local;
        string value = Text(owner), call = Text(relabel.Invocation);
        var properties = ImmutableDictionary<string, string?>.Empty.Add(RelabelKey, "true");
        if (relabel.Declared == SequenceApis.TokenShard)
        {
            properties = properties.Add(TargetKey, "Shard(-2)");
            report.Report(Diagnostic.Create(
                Descriptors.TokenShardWithoutGather, relabel.Invocation.Syntax.GetLocation(), properties,
                call, "it wraps the block of '" + value + "', " + relabel.LocalValue.Origin,
                "that block holds every token of a replicated value, so each rank claims the whole sequence as its run and the sequence is tiled tp times",
                "split it with " + CallOn(value, ".Redistribute(Placement.Shard(-2))")));
            return;
        }
        properties = properties.Add(TargetKey, "Replicate");
        report.Report(Diagnostic.Create(
            Descriptors.TokenShardWithoutGather, relabel.Invocation.Syntax.GetLocation(), properties,
            value, relabel.LocalValue.Origin,
            call + " declares its block the whole sequence, replicated",
            "gather it with " + CallOn(value, ".Redistribute(Placement.Replicate)")));
    }

    private static void Operator(OperatorEvent op, in BodyReporter report)
    {
        bool leftTokens = IsTokenShard(op.LeftValue);
        if (leftTokens == IsTokenShard(op.RightValue)) return;
        var (tokens, tokensValue, other, otherValue) = leftTokens
            ? (op.Left, op.LeftValue, op.Right, op.RightValue)
            : (op.Right, op.RightValue, op.Left, op.LeftValue);
        if (!otherValue.IsKnown || IsModuleInput(otherValue)) return;
        var (problem, fix) = Mismatch(op.Kind == BinaryOperatorKind.Add ? "it is added to" : "it is combined with", Text(other), otherValue);
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(RedistributeOperandKey, leftTokens ? "Right" : "Left")
            .Add(TargetKey, "Shard(-2)");
        report.Report(Diagnostic.Create(Descriptors.TokenShardWithoutGather, op.Operation.Syntax.GetLocation(), properties, Text(tokens), tokensValue.Origin, problem, fix));
    }

    private static bool IsRelabelBetweenReplicaAndTokens(RelabelEvent relabel) =>
        (relabel.LocalValue.Layout == Layout.Replicate && relabel.Declared == SequenceApis.TokenShard && !IsModuleInput(relabel.LocalValue))
        || (relabel.LocalValue.Layout == SequenceApis.TokenShard && relabel.Declared == Layout.Replicate);

    private static bool IsTokenShard(FlowValue value) => value.IsKnown && value.Layout == SequenceApis.TokenShard;

    /// <summary>The input of a Forward, replicated only by assumption (or by a contract that cannot say Shard(-2)).</summary>
    private static bool IsModuleInput(FlowValue value) => value.Origin.StartsWith(MethodFlow.InputOrigin, StringComparison.Ordinal);
}
