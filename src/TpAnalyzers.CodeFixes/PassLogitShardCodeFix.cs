using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0023: hands the vocabulary-parallel loss the shard it was gathered from:
/// <c>Loss(Head.Forward(h).Redistribute(Placement.Replicate), ...)</c> becomes <c>Loss(Head.Forward(h), ...)</c>. Only an
/// inline gather is removed; gathered logits held in a local may have other readers, so that edit is the author's.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PassLogitShardCodeFix)), Shared]
public sealed class PassLogitShardCodeFix : RootEditCodeFix
{
    private const string Title = "Pass the shard: drop the gather";

    public PassLogitShardCodeFix()
        : base(RuleIds.VocabularyLossFedGatheredLogits)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        if (PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan) is not InvocationExpressionSyntax
            {
                Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Redistribute", Expression: { } shard },
            } gather)
            return null;
        return (Title, nameof(PassLogitShardCodeFix), root.ReplaceNode(gather, shard.WithTriviaFrom(gather)));
    }
}
