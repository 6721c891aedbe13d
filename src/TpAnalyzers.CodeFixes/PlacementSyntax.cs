using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// The expressions the fixes insert. They are written fully qualified and annotated, so the code action's cleanup
/// shortens them to <c>Ops.AllReduce(x)</c> and adds <c>using TpCodegen;</c> only where the file lacks it, and drops
/// parentheses the result does not need.
/// </summary>
internal static class PlacementSyntax
{
    /// <summary>The expression the diagnostic points at, looking through an argument to its value.</summary>
    public static ExpressionSyntax? FindExpression(SyntaxNode root, TextSpan span)
    {
        var node = root.FindNode(span, getInnermostNodeForTie: true);
        if (node is ArgumentSyntax argument) return argument.Expression;
        // The innermost node with exactly this span that is an expression.
        for (var current = node; current is not null && current.Span == span; current = current.Parent)
        {
            if (current is ExpressionSyntax expression) return expression;
            if (current is ArgumentSyntax a) return a.Expression;
        }
        return node as ExpressionSyntax;
    }

    /// <summary><c>Ops.AllReduce(value)</c>.</summary>
    public static ExpressionSyntax AllReduce(ExpressionSyntax value) =>
        SyntaxFactory.InvocationExpression(
                QualifiedMember("Ops", "AllReduce"),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(value.WithoutTrivia()))))
            .WithTriviaFrom(value)
            .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);

    /// <summary><c>value.Redistribute(placement)</c>, with <paramref name="placement"/> e.g. <c>Placement.Replicate</c>.</summary>
    public static ExpressionSyntax Redistribute(ExpressionSyntax value, ExpressionSyntax placement) =>
        SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    SyntaxFactory.ParenthesizedExpression(value.WithoutTrivia()).WithAdditionalAnnotations(Simplifier.Annotation),
                    SyntaxFactory.IdentifierName("Redistribute")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(placement))))
            .WithTriviaFrom(value)
            .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);

    /// <summary><c>Placement.Replicate</c>.</summary>
    public static ExpressionSyntax ReplicatePlacement() => QualifiedMember("Placement", "Replicate");

    /// <summary><c>Placement.Shard(-1)</c>.</summary>
    public static ExpressionSyntax ShardLastPlacement() => ShardPlacement(1);

    /// <summary><c>Placement.Shard(-2)</c>: split by tokens (sequence parallelism).</summary>
    public static ExpressionSyntax ShardTokensPlacement() => ShardPlacement(2);

    /// <summary><c>Placement.Shard(-fromEnd)</c>.</summary>
    private static ExpressionSyntax ShardPlacement(int fromEnd) =>
        SyntaxFactory.InvocationExpression(
            QualifiedMember("Placement", "Shard"),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(
                SyntaxFactory.PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(fromEnd)))))));

    /// <summary>The attribute with <c>name = value</c> set: an existing argument is replaced, otherwise one is appended.</summary>
    public static AttributeSyntax SetNamedArgument(AttributeSyntax attribute, string name, ExpressionSyntax value)
    {
        var arguments = attribute.ArgumentList?.Arguments ?? default;
        var existing = arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        if (existing is not null)
            return attribute.ReplaceNode(existing, existing.WithExpression(value.WithTriviaFrom(existing.Expression)));
        var added = SyntaxFactory.AttributeArgument(SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName(name)), null, value);
        var list = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
        return attribute.WithArgumentList(list.WithArguments(list.Arguments.Add(added))).WithAdditionalAnnotations(Formatter.Annotation);
    }

    private static ExpressionSyntax QualifiedMember(string type, string member) =>
        SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.ParseName("global::TpCodegen." + type),
                SyntaxFactory.IdentifierName(member))
            .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
}
