using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0003: gathers the sharded value where the replicated one is needed: <c>Up2.Forward(h)</c> becomes
/// <c>Up2.Forward(h.Redistribute(Placement.Replicate))</c>. (Setting GatherOutput on the producer is the other way;
/// the message names it, but it changes every use of that layer, so it is left to the author.)
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GatherShardedInputCodeFix)), Shared]
public sealed class GatherShardedInputCodeFix : RootEditCodeFix
{
    private const string Title = "Gather it: .Redistribute(Placement.Replicate)";

    public GatherShardedInputCodeFix()
        : base(RuleIds.ShardedIntoReplicatedInput)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic) =>
        PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan) is { } value
            ? (Title, nameof(GatherShardedInputCodeFix), root.ReplaceNode(value, PlacementSyntax.Redistribute(value, PlacementSyntax.ReplicatePlacement())))
            : null;
}
