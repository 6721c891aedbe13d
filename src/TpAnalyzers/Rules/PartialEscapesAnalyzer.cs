// TP0009 catches a partial sum that leaves the tensor world unreduced: read through .ToTensor(), .Local, .LocalSpan
// or a ToArray-like method, or compared. What comes out is this rank's addend: different on every rank, and not the
// value the author meant to see, test or save. Printing the DTensor itself is fine: its text is shape and placement.
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PartialEscapesAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PartialEscapes);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is not EscapeEvent escape || !escape.FlowValue.IsPartial) return;
        report.Report(Diagnostic.Create(Descriptors.PartialEscapes, escape.Value.Syntax.GetLocation(), Text(escape.Value), escape.FlowValue.Origin, escape.How));
    }
}
