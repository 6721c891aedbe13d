using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Where a rule that reads whole bodies (<see cref="SourceOperationActions.RegisterMethodBodyAction"/>) reports: the
/// tree's semantic model context, handed down by reference. A delegate over the context's ReportDiagnostic would box
/// that large struct once per tree and rule, whether or not anything is reported.
/// </summary>
internal readonly struct BodyReporter
{
    private readonly SemanticModelAnalysisContext _tree;

    public BodyReporter(in SemanticModelAnalysisContext tree) => _tree = tree;

    public void Report(Diagnostic diagnostic) => _tree.ReportDiagnostic(diagnostic);
}
