using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0022: says what a fused query/key/value projection is made of, so that it is split per segment:
/// <c>new(hidden, (heads + 2 * kvHeads) * headDim)</c> gets <c>{ OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) }</c>.
/// Only that shape is mechanical; the names and sizes of another fusion (gate|up) are the author's to write.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(QkvLayoutCodeFix)), Shared]
public sealed class QkvLayoutCodeFix : RootEditCodeFix
{
    private const string Title = "Split per segment: OutputLayout = FeatureLayout.Qkv(...)";

    public QkvLayoutCodeFix()
        : base(RuleIds.FusedLayerWithoutSegments)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        var size = PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan);
        if (size is null || QkvParts(size) is not var (heads, kvHeads, headDim)) return null;
        if (size.FirstAncestorOrSelf<BaseObjectCreationExpressionSyntax>() is not { } creation) return null;
        var layout = SyntaxFactory.AssignmentExpression(
            SyntaxKind.SimpleAssignmentExpression,
            SyntaxFactory.IdentifierName("OutputLayout"),
            SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.ParseName("global::TpCodegen.FeatureLayout"), SyntaxFactory.IdentifierName("Qkv"))
                    .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[] { heads, kvHeads, headDim }.Select(e => SyntaxFactory.Argument(e.WithoutTrivia()))))));
        var initializer = creation.Initializer is { } existing
            ? existing.AddExpressions(layout)
            : SyntaxFactory.InitializerExpression(SyntaxKind.ObjectInitializerExpression, SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(layout));
        var fixedCreation = creation.WithInitializer(initializer.WithAdditionalAnnotations(Formatter.Annotation))
            .WithoutTrailingTrivia()
            .WithAdditionalAnnotations(Formatter.Annotation)
            .WithTrailingTrivia(creation.GetTrailingTrivia());
        return (Title, nameof(QkvLayoutCodeFix), root.ReplaceNode(creation, fixedCreation));
    }

    /// <summary><c>(heads + 2 * kvHeads) * headDim</c> (the 2 on either side of its product): the three counts, or null.</summary>
    private static (ExpressionSyntax, ExpressionSyntax, ExpressionSyntax)? QkvParts(ExpressionSyntax size)
    {
        if (size is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.MultiplyExpression, Left: ParenthesizedExpressionSyntax { Expression: BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } sum }, Right: { } headDim })
            return null;
        if (sum.Right is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.MultiplyExpression } twice) return null;
        var kvHeads = IsTwo(twice.Left) ? twice.Right : IsTwo(twice.Right) ? twice.Left : null;
        return kvHeads is null ? null : (sum.Left, kvHeads, headDim);
    }

    private static bool IsTwo(ExpressionSyntax expression) => expression is LiteralExpressionSyntax { Token.Value: 2 };
}
