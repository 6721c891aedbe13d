using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0001 and TP0009: the diagnostic points at the partial sum itself, so the fix is to reduce it where it is used:
/// <c>Gate.Forward(h)</c> becomes <c>Gate.Forward(Ops.AllReduce(h))</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WrapInAllReduceCodeFix)), Shared]
public sealed class WrapInAllReduceCodeFix : CodeFixProvider
{
    private const string Title = "All-reduce it first: Ops.AllReduce(...)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.PartialNeedsFullTensor, RuleIds.PartialEscapes);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var value = PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan);
            if (value is null) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(value, PlacementSyntax.AllReduce(value)))),
                    equivalenceKey: nameof(WrapInAllReduceCodeFix)),
                diagnostic);
        }
    }
}
