using System.Collections.Generic;
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
/// TP0022: says what a fused column layer is made of, so that it is split per segment. A fused query/key/value
/// projection, <c>new(hidden, (heads + 2 * kvHeads) * headDim)</c>, gets <c>{ OutputLayout = FeatureLayout.Qkv(heads,
/// kvHeads, headDim) }</c>; any other sum of segments, <c>new(hidden, ffn + ffn)</c> on <c>GateUp</c>, gets
/// <c>{ OutputLayout = FeatureLayout.Fused(("gate", ffn), ("up", ffn)) }</c>, its segments named after the words of the
/// member's name when there are as many (else part1, part2, ...).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SegmentLayoutCodeFix)), Shared]
public sealed class SegmentLayoutCodeFix : RootEditCodeFix
{
    private const string QkvTitle = "Split per segment: OutputLayout = FeatureLayout.Qkv(...)";
    private const string FusedTitle = "Split per segment: OutputLayout = FeatureLayout.Fused(...)";

    public SegmentLayoutCodeFix()
        : base(RuleIds.FusedLayerWithoutSegments)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        var size = PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan);
        if (size?.FirstAncestorOrSelf<BaseObjectCreationExpressionSyntax>() is not { } creation) return null;
        if (QkvParts(size) is var (heads, kvHeads, headDim))
            return (QkvTitle, "Qkv", root.ReplaceNode(creation, WithLayout(creation, Layout("Qkv", heads, kvHeads, headDim))));
        var terms = new List<ExpressionSyntax>();
        AddTerms(size, terms);
        if (terms.Count < 2) return null;
        var names = SegmentNames(MemberName(creation), terms.Count);
        var segments = terms.Select((term, i) => (ExpressionSyntax)SyntaxFactory.TupleExpression(SyntaxFactory.SeparatedList(new[]
        {
            SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(names[i]))),
            SyntaxFactory.Argument(term.WithoutTrivia()),
        })));
        return (FusedTitle, "Fused", root.ReplaceNode(creation, WithLayout(creation, Layout("Fused", segments.ToArray()))));
    }

    /// <summary><c>OutputLayout = global::TpCodegen.FeatureLayout.Method(arguments)</c>, simplified when applied.</summary>
    private static AssignmentExpressionSyntax Layout(string method, params ExpressionSyntax[] arguments) =>
        SyntaxFactory.AssignmentExpression(
            SyntaxKind.SimpleAssignmentExpression,
            SyntaxFactory.IdentifierName("OutputLayout"),
            SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.ParseName("global::TpCodegen.FeatureLayout"), SyntaxFactory.IdentifierName(method))
                    .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments.Select(e => SyntaxFactory.Argument(e.WithoutTrivia()))))));

    /// <summary>The creation with the layout added to its object initializer (made when it has none).</summary>
    private static BaseObjectCreationExpressionSyntax WithLayout(BaseObjectCreationExpressionSyntax creation, AssignmentExpressionSyntax layout)
    {
        var initializer = creation.Initializer is { } existing
            ? existing.AddExpressions(layout)
            : SyntaxFactory.InitializerExpression(SyntaxKind.ObjectInitializerExpression, SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(layout));
        return creation.WithInitializer(initializer.WithAdditionalAnnotations(Formatter.Annotation))
            .WithoutTrailingTrivia()
            .WithAdditionalAnnotations(Formatter.Annotation)
            .WithTrailingTrivia(creation.GetTrailingTrivia());
    }

    /// <summary>The operands of a chain of <c>+</c> (parentheses around the whole removed), left to right.</summary>
    private static void AddTerms(ExpressionSyntax expression, List<ExpressionSyntax> terms)
    {
        switch (expression)
        {
            case ParenthesizedExpressionSyntax parenthesized when terms.Count == 0:
                AddTerms(parenthesized.Expression, terms);
                break;
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } sum:
                AddTerms(sum.Left, terms);
                AddTerms(sum.Right, terms);
                break;
            default:
                terms.Add(expression);
                break;
        }
    }

    /// <summary>The member the creation initializes or is assigned to: <c>GateUp</c>.</summary>
    private static string? MemberName(BaseObjectCreationExpressionSyntax creation) => creation.Parent switch
    {
        EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax property } => property.Identifier.ValueText,
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax variable } => variable.Identifier.ValueText,
        AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } => name.Identifier.ValueText,
        AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax access } => access.Name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>"GateUp" for two segments: gate, up; a name with another count of words, or repeated ones: part1, part2, ...</summary>
    private static string[] SegmentNames(string? member, int count)
    {
        var words = System.Text.RegularExpressions.Regex.Matches(member ?? "", "[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
            .Cast<System.Text.RegularExpressions.Match>()
            .Select(m => m.Value.ToLowerInvariant())
            .ToArray();
        // FeatureLayout refuses two segments of one name.
        return words.Length == count && words.Distinct().Count() == count ? words : Enumerable.Range(1, count).Select(i => "part" + i).ToArray();
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
