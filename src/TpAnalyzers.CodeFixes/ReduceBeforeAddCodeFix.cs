using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using TpCodegen.Analyzers.Rules;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0002: moves the add after the reduce by reducing the partial operand: <c>Down.Forward(h) + x</c> becomes
/// <c>Ops.AllReduce(Down.Forward(h)) + x</c>; <c>y += x</c> on a partial <c>y</c> becomes <c>y = Ops.AllReduce(y) + x</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReduceBeforeAddCodeFix)), Shared]
public sealed class ReduceBeforeAddCodeFix : CodeFixProvider
{
    private const string Title = "Add after the reduce: Ops.AllReduce(partial) + value";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.PartialAddedBeforeReduce);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(PartialAddedBeforeReduceAnalyzer.PartialOperandKey, out var side)) continue;
            bool left = side == "Left";
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            SyntaxNode? replacement = null;
            SyntaxNode? original = null;
            for (var current = node; current is not null && replacement is null; current = current.Parent)
            {
                if (current.Span != diagnostic.Location.SourceSpan) break;
                switch (current)
                {
                    case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression):
                        original = binary;
                        replacement = left
                            ? binary.WithLeft(PlacementSyntax.AllReduce(binary.Left))
                            : binary.WithRight(PlacementSyntax.AllReduce(binary.Right));
                        break;
                    case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.AddAssignmentExpression) && left:
                        original = assignment;
                        var sum = SyntaxFactory.BinaryExpression(SyntaxKind.AddExpression, PlacementSyntax.AllReduce(assignment.Left.WithoutTrivia()), assignment.Right.WithoutTrivia());
                        replacement = SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, assignment.Left, sum)
                            .WithTriviaFrom(assignment)
                            .WithAdditionalAnnotations(Formatter.Annotation);
                        break;
                }
            }
            if (original is null || replacement is null) continue;
            var newRoot = root.ReplaceNode(original, replacement);
            context.RegisterCodeFix(
                CodeAction.Create(Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(newRoot)), equivalenceKey: nameof(ReduceBeforeAddCodeFix)),
                diagnostic);
        }
    }
}
