using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The values a field or property of the compilation is given: its initializer (or expression body) and the
/// assignments to it in its type's constructors, read from their own trees.
/// </summary>
internal static class MemberValues
{
    public static IEnumerable<IOperation> Of(ISymbol member, Compilation compilation)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            var initializer = reference.GetSyntax() switch
            {
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value ?? property.ExpressionBody?.Expression,
                _ => null,
            };
            if (initializer is not null && SourceBodies.Operation(initializer, compilation) is { } value) yield return value;
        }
        foreach (var constructor in member.ContainingType.InstanceConstructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not ConstructorDeclarationSyntax declaration || SourceBodies.Operation(declaration, compilation) is not { } body) continue;
                foreach (var node in body.DescendantsAndSelf())
                {
                    if (node is ISimpleAssignmentOperation assignment && Assigns(assignment.Target, member)) yield return assignment.Value;
                }
            }
        }
    }

    private static bool Assigns(IOperation target, ISymbol member) => Operations.Unwrap(target) switch
    {
        IFieldReferenceOperation field => SymbolEqualityComparer.Default.Equals(field.Field, member),
        IPropertyReferenceOperation property => SymbolEqualityComparer.Default.Equals(property.Property, member),
        _ => false,
    };
}
