using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Member initializers made of literals alone: <c>= 4096</c>, <c>= new(64, 256)</c>, <c>= new Linear(64, 256, bias: false)</c>.
/// Decided from syntax, so that they need not be bound. Such an initializer holds no group, rank, tensor or arithmetic:
/// the only rules it can matter to are the ones that check constant sizes against a stated degree (TP0014, TP0019).
/// Binding them cost a tenth of the compile on the 500-module benchmark (a sampled profile of bench/TpBench --analyzer-profile): the
/// compiler binds initializers again for the constructor and keeps no semantic model of them, as it does for bodies.
/// </summary>
internal static class ConstantInitializers
{
    public static bool IsLiteralsOnly(ExpressionSyntax value) => value switch
    {
        LiteralExpressionSyntax => true,
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } negated => negated.Operand is LiteralExpressionSyntax,
        // An object or collection initializer ({ OutputLayout = ... }) sets more than sizes: bound and read as usual.
        BaseObjectCreationExpressionSyntax { Initializer: null } creation => ArgumentsAreLiterals(creation.ArgumentList),
        _ => false,
    };

    private static bool ArgumentsAreLiterals(ArgumentListSyntax? arguments)
    {
        if (arguments is null) return true;
        foreach (var argument in arguments.Arguments)
        {
            if (!argument.RefKindKeyword.IsKind(SyntaxKind.None)) return false;
            if (argument.Expression is not (LiteralExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression, Operand: LiteralExpressionSyntax }))
                return false;
        }
        return true;
    }
}
