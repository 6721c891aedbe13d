using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// What a rule is handed for one operation of a tree (<see cref="SourceOperationActions"/>): the members of the
/// driver's <c>OperationAnalysisContext</c> that the rules read, over the tree's semantic model context. Made per
/// operation and per rule, so it is a struct that allocates nothing: the driver's own context, built by hand, wraps its
/// diagnostic filter in a fresh closure each time, which on the 500-module benchmark was the largest allocation of all.
/// </summary>
internal readonly struct SourceOperationContext
{
    private readonly SemanticModelAnalysisContext _tree;

    public SourceOperationContext(IOperation operation, ISymbol containingSymbol, SemanticModelAnalysisContext tree)
    {
        Operation = operation;
        ContainingSymbol = containingSymbol;
        _tree = tree;
    }

    public IOperation Operation { get; }

    /// <summary>The member whose code the operation is (the method, accessor, field or property).</summary>
    public ISymbol ContainingSymbol { get; }

    public Compilation Compilation => _tree.SemanticModel.Compilation;

    public AnalyzerOptions Options => _tree.Options;

    public CancellationToken CancellationToken => _tree.CancellationToken;

    public void ReportDiagnostic(Diagnostic diagnostic) => _tree.ReportDiagnostic(diagnostic);
}
