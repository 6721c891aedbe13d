using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0001 and TP0009: the diagnostic points at the partial sum itself, so the fix is to reduce it where it is used:
/// <c>Gate.Forward(h)</c> becomes <c>Gate.Forward(Ops.AllReduce(h))</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WrapInAllReduceCodeFix)), Shared]
public sealed class WrapInAllReduceCodeFix : RootEditCodeFix
{
    private const string Title = "All-reduce it first: Ops.AllReduce(...)";

    public WrapInAllReduceCodeFix()
        : base(RuleIds.PartialNeedsFullTensor, RuleIds.PartialEscapes)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic) =>
        PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan) is { } value
            ? (Title, nameof(WrapInAllReduceCodeFix), root.ReplaceNode(value, PlacementSyntax.AllReduce(value)))
            : null;
}
