using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0003: gathers the sharded value where the replicated one is needed: <c>Up2.Forward(h)</c> becomes
/// <c>Up2.Forward(h.Redistribute(Placement.Replicate))</c>. (Setting GatherOutput on the producer is the other way;
/// the message names it, but it changes every use of that layer, so it is left to the author.)
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GatherShardedInputCodeFix)), Shared]
public sealed class GatherShardedInputCodeFix : CodeFixProvider
{
    private const string Title = "Gather it: .Redistribute(Placement.Replicate)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ShardedIntoReplicatedInput);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var value = PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan);
            if (value is null) continue;
            var fixedValue = PlacementSyntax.Redistribute(value, PlacementSyntax.ReplicatePlacement());
            context.RegisterCodeFix(
                CodeAction.Create(Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(value, fixedValue))), equivalenceKey: nameof(GatherShardedInputCodeFix)),
                diagnostic);
        }
    }
}
