using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0023, and TP0021 where the gather is the argument of a vocabulary-parallel consumer: hands it the shard the logits
/// were gathered from. <c>Loss(Head.Forward(h).Redistribute(Placement.Replicate), ...)</c> becomes
/// <c>Loss(Head.Forward(h), ...)</c>, and <c>VocabParallel.Argmax(logits.Redistribute(Placement.Replicate))</c> becomes
/// <c>VocabParallel.Argmax(logits)</c>. Only an inline gather is removed; gathered logits held in a local may have other
/// readers, so that edit is the author's.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PassLogitShardCodeFix)), Shared]
public sealed class PassLogitShardCodeFix : RootEditCodeFix
{
    private const string Title = "Pass the shard: drop the gather";

    public PassLogitShardCodeFix()
        : base(RuleIds.VocabularyLossFedGatheredLogits, RuleIds.VocabularyLogitsGathered)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        if (PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan) is not InvocationExpressionSyntax
            {
                Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Redistribute", Expression: { } shard },
            } gather)
            return null;
        // TP0021 points at any gather; only one handed straight to a consumer of the shards loses nothing by going.
        if (diagnostic.Id == RuleIds.VocabularyLogitsGathered && !IsShardConsumerArgument(gather)) return null;
        return (Title, nameof(PassLogitShardCodeFix), root.ReplaceNode(gather, shard.WithTriviaFrom(gather)));
    }

    /// <summary>The first argument of VocabParallel.Argmax / Sample or VocabParallelCrossEntropy.Loss, which take the shards.</summary>
    private static bool IsShardConsumerArgument(ExpressionSyntax value) =>
        value.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax call } list } argument
        && list.Arguments.IndexOf(argument) == 0
        && call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name, Expression: var type }
        && (name is "Argmax" or "Sample" && type.ToString().EndsWith("VocabParallel", System.StringComparison.Ordinal)
            || name == "Loss" && type.ToString().EndsWith("VocabParallelCrossEntropy", System.StringComparison.Ordinal));
}
