using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>TP0010: writes <c>ReduceOp.Sum</c> where a tensor-parallel partial sum was averaged.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AverageToSumCodeFix)), Shared]
public sealed class AverageToSumCodeFix : RootEditCodeFix
{
    private const string Title = "Sum the partial sums (ReduceOp.Sum)";

    public AverageToSumCodeFix()
        : base(RuleIds.PartialSumAveraged)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        // Only the spelled-out member (ReduceOp.Average, or Average under using static) has a mechanical fix;
        // an op read from a variable needs the author's decision.
        var name = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) switch
        {
            MemberAccessExpressionSyntax { Name: IdentifierNameSyntax { Identifier.ValueText: "Average" } member } => member,
            IdentifierNameSyntax { Identifier.ValueText: "Average" } identifier => identifier,
            _ => null,
        };
        return name is null ? null : (Title, nameof(AverageToSumCodeFix), root.ReplaceNode(name, SyntaxFactory.IdentifierName("Sum").WithTriviaFrom(name)));
    }
}
