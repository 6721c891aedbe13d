using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0004, two ways: let the row layer take the replicated input and keep its own slice (<c>InputIsParallel = false</c>
/// on its attribute, which the diagnostic carries as an additional location), or slice the value at the call
/// (<c>x.Redistribute(Placement.Shard(-1))</c>, which moves no data).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FullIntoShardedInputCodeFix)), Shared]
public sealed class FullIntoShardedInputCodeFix : CodeFixProvider
{
    private const string SliceKey = nameof(FullIntoShardedInputCodeFix) + ".Slice";
    private const string AttributeKey = nameof(FullIntoShardedInputCodeFix) + ".InputIsParallel";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.FullIntoShardedInput);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var value = PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan);
            if (value is null) continue;

            if (diagnostic.AdditionalLocations.FirstOrDefault() is { IsInSource: true } attributeLocation)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Set InputIsParallel = false on the row layer",
                        token => SetInputIsParallelFalseAsync(context.Document, attributeLocation, token),
                        equivalenceKey: AttributeKey),
                    diagnostic);
            }

            var sliced = PlacementSyntax.Redistribute(value, PlacementSyntax.ShardLastPlacement());
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Slice it: .Redistribute(Placement.Shard(-1))",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(value, sliced))),
                    equivalenceKey: SliceKey),
                diagnostic);
        }
    }

    private static async Task<Solution> SetInputIsParallelFalseAsync(Document document, Location attributeLocation, CancellationToken token)
    {
        var solution = document.Project.Solution;
        var target = solution.GetDocument(attributeLocation.SourceTree);
        if (target is null) return solution;
        var root = await target.GetSyntaxRootAsync(token).ConfigureAwait(false);
        if (root?.FindNode(attributeLocation.SourceSpan, getInnermostNodeForTie: true)?.AncestorsAndSelf().OfType<AttributeSyntax>().FirstOrDefault() is not { } attribute)
            return solution;
        var updated = PlacementSyntax.SetNamedArgument(attribute, "InputIsParallel", SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression));
        return solution.WithDocumentSyntaxRoot(target.Id, root.ReplaceNode(attribute, updated));
    }
}
