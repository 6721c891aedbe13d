using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>TP0010: writes <c>ReduceOp.Sum</c> where a tensor-parallel partial sum was averaged.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AverageToSumCodeFix)), Shared]
public sealed class AverageToSumCodeFix : CodeFixProvider
{
    private const string Title = "Sum the partial sums (ReduceOp.Sum)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.PartialSumAveraged);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            // Only the spelled-out member (ReduceOp.Average, or Average under using static) has a mechanical fix;
            // an op read from a variable needs the author's decision.
            var name = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) switch
            {
                MemberAccessExpressionSyntax { Name: IdentifierNameSyntax { Identifier.ValueText: "Average" } member } => member,
                IdentifierNameSyntax { Identifier.ValueText: "Average" } identifier => identifier,
                _ => null,
            };
            if (name is null) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(name, SyntaxFactory.IdentifierName("Sum").WithTriviaFrom(name)))),
                    equivalenceKey: nameof(AverageToSumCodeFix)),
                diagnostic);
        }
    }
}
