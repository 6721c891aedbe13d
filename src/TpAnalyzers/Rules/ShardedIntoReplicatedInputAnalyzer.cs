// TP0003 catches a value sharded on its last dimension (a column layer's output) fed to something that multiplies
// by all input features: another column layer, a dense Linear, a row layer with InputIsParallel = false, or a method
// whose [PlacementContract] takes Replicate. Each rank holds out/tp features where in features are expected; the
// runtime rejects it on the cluster, the analyzer in the editor.
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ShardedIntoReplicatedInputAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ShardedIntoReplicatedInput);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is not ConsumeEvent consume || !consume.Value.IsKnown || consume.Value.Layout != Layout.ShardLast || consume.Consumer.Required != Layout.Replicate) return;
        var value = Text(consume.Argument);
        string fix = consume.Value.Origin.StartsWith("the output of column layer", StringComparison.Ordinal)
            ? "gather it with " + CallOn(value, ".Redistribute(Placement.Replicate)") + ", or set GatherOutput = true on the column layer that makes it"
            : "gather it with " + CallOn(value, ".Redistribute(Placement.Replicate)");
        report.Report(Diagnostic.Create(Descriptors.ShardedIntoReplicatedInput, consume.Argument.Syntax.GetLocation(), value, consume.Value.Origin, consume.Consumer.Display, fix));
    }
}
