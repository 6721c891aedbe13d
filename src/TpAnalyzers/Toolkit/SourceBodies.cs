using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The operation trees of members of the compilation other than the one being analysed: a called method's body, a
/// property's getter, a constructor, a local function. Only bodies that are the ones that run are returned (not virtual,
/// not abstract).
/// </summary>
internal static class SourceBodies
{
    /// <summary>The body of an ordinary, non-virtual method declared in <paramref name="compilation"/>, or null.</summary>
    public static IOperation? Method(IMethodSymbol method, Compilation compilation)
    {
        if (method.MethodKind == MethodKind.LocalFunction) return LocalFunction(method, compilation);
        if (method.MethodKind != MethodKind.Ordinary || method.IsAbstract || method.IsVirtual || method.IsExtern) return null;
        if (!InCompilation(method, compilation)) return null;
        var implementation = method.PartialImplementationPart ?? method;
        foreach (var reference in implementation.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is MethodDeclarationSyntax declaration && (declaration.Body is not null || declaration.ExpressionBody is not null))
                return Operation(declaration, compilation);
        }
        return null;
    }

    /// <summary>
    /// The body of a local function (<c>DTensor Half(DTensor v) =&gt; Down.Forward(v);</c> inside a Forward): a helper like
    /// any other, whose summary follows what it returns and what it runs. Locals it captures read as unknown there.
    /// </summary>
    private static IOperation? LocalFunction(IMethodSymbol function, Compilation compilation)
    {
        foreach (var reference in function.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is LocalFunctionStatementSyntax declaration && Operation(declaration, compilation) is ILocalFunctionOperation { Body: { } body })
                return body;
        }
        return null;
    }

    /// <summary>The getter of a non-virtual property declared in <paramref name="compilation"/> (<c>bool IsMain => tp.Rank == 0</c>), or null.</summary>
    public static IOperation? Getter(IPropertySymbol property, Compilation compilation)
    {
        if (property.IsAbstract || property.IsVirtual || property.GetMethod is null || !InCompilation(property, compilation)) return null;
        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax())
            {
                case PropertyDeclarationSyntax { ExpressionBody: { } arrow }:
                    return Operation(arrow.Expression, compilation);
                case PropertyDeclarationSyntax { AccessorList: { } accessors }:
                    foreach (var accessor in accessors.Accessors)
                    {
                        if (accessor.Keyword.ValueText != "get") continue;
                        if (accessor.ExpressionBody is { } body) return Operation(body.Expression, compilation);
                        if (accessor.Body is { } block) return Operation(block, compilation);
                    }
                    break;
            }
        }
        return null;
    }

    public static bool InCompilation(ISymbol symbol, Compilation compilation) =>
        SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, compilation.Assembly);

    /// <summary>The operation for a node of any tree of the compilation.</summary>
    public static IOperation? Operation(SyntaxNode node, Compilation compilation)
    {
        if (!compilation.ContainsSyntaxTree(node.SyntaxTree)) return null;
#pragma warning disable RS1030 // The analyzer driver gives compilations a caching semantic-model provider: this is the model it built for the tree, and callers cache what they read from it per compilation.
        var model = compilation.GetSemanticModel(node.SyntaxTree);
#pragma warning restore RS1030
        return model.GetOperation(node);
    }
}
