using System.Collections.Generic;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0020: replaces the global head count by the rank's own, read from the shard:
/// <c>Tensor.Reshape(q.Local, [q.Tokens, Heads, Dim])</c> becomes <c>Tensor.Reshape(q.Local, [q.Tokens, q.LocalFeatures / Dim, Dim])</c>.
/// Offered when the shard is a named value (<c>q.Local</c>; re-reading <c>Q.Forward(x)</c> would run the layer again) and
/// the head dimension is the length after the head count.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LocalHeadCountCodeFix)), Shared]
public sealed class LocalHeadCountCodeFix : RootEditCodeFix
{
    private const string Title = "Use the rank's head count (LocalFeatures / head dimension)";

    public LocalHeadCountCodeFix()
        : base(RuleIds.GlobalHeadsOnShard)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        var heads = PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan);
        if (heads is null || HeadDimensionAfter(heads) is not { } headDim) return null;
        if (heads.FirstAncestorOrSelf<InvocationExpressionSyntax>()?.ArgumentList.Arguments.FirstOrDefault()?.Expression
            is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Local", Expression: IdentifierNameSyntax shard })
            return null;
        var local = SyntaxFactory.BinaryExpression(
                SyntaxKind.DivideExpression,
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, shard.WithoutTrivia(), SyntaxFactory.IdentifierName("LocalFeatures")),
                headDim.WithoutTrivia())
            .WithTriviaFrom(heads)
            .WithAdditionalAnnotations(Formatter.Annotation);
        return (Title, nameof(LocalHeadCountCodeFix), root.ReplaceNode(heads, local));
    }

    /// <summary>The length written right after <paramref name="heads"/> in the same list of lengths, or null.</summary>
    private static ExpressionSyntax? HeadDimensionAfter(ExpressionSyntax heads)
    {
        IReadOnlyList<ExpressionSyntax> lengths = heads.Parent switch
        {
            ExpressionElementSyntax { Parent: CollectionExpressionSyntax collection } => collection.Elements.OfType<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
            InitializerExpressionSyntax initializer => initializer.Expressions,
            ArgumentSyntax { Parent: ArgumentListSyntax list } => list.Arguments.Select(a => a.Expression).ToList(),
            _ => [],
        };
        for (int i = 0; i + 1 < lengths.Count; i++)
        {
            if (lengths[i] == heads) return lengths[i + 1];
        }
        return null;
    }
}
