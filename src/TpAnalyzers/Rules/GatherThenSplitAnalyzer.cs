// TP0005 catches an all-gather whose result is split again at once: a column layer with GatherOutput = true (or a
// `.Redistribute(Placement.Replicate)`) feeding a row layer with InputIsParallel = false (or a
// `.Redistribute(Placement.Shard(-1))`). The result is correct, but every forward moves F * 4 * (tp - 1) / tp bytes
// per token and rank for nothing: the column output could feed the row layer sharded as it is.
using System;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GatherThenSplitAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.GatherThenSplit);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        switch (e)
        {
            case ConsumeEvent { Consumer.Layer.SlicesInput: true } consume
                when consume.Value.IsKnown && consume.Value.Layout == Layout.Replicate && consume.Value.GatheredBy is { } gatheredBy && !ReadElsewhere(consume.Argument):
                report.Report(Diagnostic.Create(Descriptors.GatherThenSplit, consume.Argument.Syntax.GetLocation(),
                    Text(consume.Argument), gatheredBy, consume.Consumer.Display + " (InputIsParallel = false)", Cost(consume.Value.Features)));
                break;
            case RedistributeEvent redistribute
                when redistribute.Target == Layout.ShardLast && redistribute.SourceValue.IsKnown
                     && redistribute.SourceValue.Layout == Layout.Replicate && redistribute.SourceValue.GatheredBy is { } gathered
                     && !ReadElsewhere(redistribute.Source):
                report.Report(Diagnostic.Create(Descriptors.GatherThenSplit, redistribute.Invocation.Syntax.GetLocation(),
                    Text(redistribute.Source), gathered, "'.Redistribute(Placement.Shard(-1))'", Cost(redistribute.SourceValue.Features)));
                break;
        }
    }

    /// <summary>
    /// Whether the gathered value, held in a local, is read anywhere else in its body (a hook, a print, a max over it):
    /// then something needs it whole, and the gather is not wasted.
    /// </summary>
    private static bool ReadElsewhere(IOperation source)
    {
        if (Operations.Unwrap(source) is not ILocalReferenceOperation read) return false;
        foreach (var node in Operations.SelfAndDescendants(Operations.Root(read)))
        {
            if (node is ILocalReferenceOperation other && other != read && SymbolEqualityComparer.Default.Equals(other.Local, read.Local) &&
                !(other.Parent is ISimpleAssignmentOperation assignment && assignment.Target == other))
                return true;
        }
        return false;
    }

    /// <summary>
    /// The all-gather of F float features: each rank receives the (tp - 1) / tp of them it lacks, 4 bytes each, per
    /// token and forward. tp is not known at compile time, so the message gives the figure at tp = 2 and the bound.
    /// </summary>
    internal static string Cost(long? features)
    {
        if (features is not { } f) return "";
        long full = f * 4;
        return string.Format(CultureInfo.InvariantCulture,
            " of {0} features: {1} x (tp-1)/tp bytes per token and rank each forward, {2} at tp = 2", f, full, full / 2);
    }
}
