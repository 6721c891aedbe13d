// TP0026 — a value every rank already holds in full, reduced over its group again.
// A row layer's reduced output, a module's replicated input and an all-reduce's result are the same whole value on
// every rank of the tensor-parallel group. Summing them over that group once more adds tp copies: a group's AllReduce
// on the local values (tp.AllReduce(y.LocalSpan)) silently multiplies every number by the degree, and Ops.AllReduce
// refuses a replica at run time. Read from the placement walk, so the value may come through helpers and branches.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReplicaReducedAgainAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ReplicaReducedAgain);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is not ReduceEvent reduce || !reduce.Value.IsKnown || reduce.Value.Layout != Layout.Replicate) return;
        report.Report(Diagnostic.Create(Descriptors.ReplicaReducedAgain, reduce.Reduced.Syntax.GetLocation(), Text(reduce.Reduced), reduce.Value.Origin, reduce.Reduction));
    }
}
