using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>A <c>new Linear(in, out, bias)</c> assigned to a [TensorParallel] member, in its initializer or a constructor.</summary>
internal readonly struct LinearCreation
{
    public LinearCreation(ISymbol member, IObjectCreationOperation creation)
    {
        Member = member;
        Creation = creation;
    }

    public ISymbol Member { get; }

    public IObjectCreationOperation Creation { get; }

    public IArgumentOperation? Argument(string parameter)
    {
        foreach (var argument in Creation.Arguments)
        {
            if (argument.Parameter?.Name == parameter) return argument;
        }
        return null;
    }

    /// <summary>Whether the layer has a bias: the bias argument's constant, true when left out, null when unknown.</summary>
    public bool? HasBias()
    {
        var bias = Argument("bias");
        if (bias is null) return null;
        if (bias.ArgumentKind == ArgumentKind.DefaultValue) return true;
        return bias.Value.ConstantValue is { HasValue: true, Value: bool value } ? value : null;
    }

    /// <summary>
    /// Reads <c>[TensorParallel] Linear Down { get; } = new(...)</c> (a property or field initializer) or
    /// <c>Down = new Linear(...)</c> (an assignment) into the member and its creation.
    /// </summary>
    public static IEnumerable<LinearCreation> From(IOperation operation, KnownTypes types)
    {
        if (types.Linear is null) yield break;
        switch (operation)
        {
            case ISymbolInitializerOperation initializer when IsLinearCreation(initializer.Value, types, out var creation):
                IEnumerable<ISymbol> members = initializer switch
                {
                    IPropertyInitializerOperation p => p.InitializedProperties,
                    IFieldInitializerOperation f => f.InitializedFields,
                    _ => System.Array.Empty<ISymbol>(),
                };
                foreach (var member in members)
                {
                    if (types.IsTensorParallelMember(member)) yield return new LinearCreation(member, creation!);
                }
                break;
            case ISimpleAssignmentOperation assignment when IsLinearCreation(assignment.Value, types, out var created):
                if (types.TensorParallelMemberOf(assignment.Target) is { } target) yield return new LinearCreation(target, created!);
                break;
        }
    }

    /// <summary>
    /// Every [TensorParallel] layer creation of a module of the compilation: member initializers (a primary
    /// constructor's parameters included) and assignments in its constructors, read from their own trees.
    /// </summary>
    public static IEnumerable<LinearCreation> OfModule(INamedTypeSymbol module, Compilation compilation, KnownTypes types)
    {
        if (!SourceBodies.InCompilation(module, compilation)) yield break;
        foreach (var member in module.GetMembers())
        {
            if (!types.IsTensorParallelMember(member)) continue;
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var initializer = reference.GetSyntax() switch
                {
                    PropertyDeclarationSyntax property => property.Initializer?.Value,
                    VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                    _ => null,
                };
                if (initializer is not null && IsLinearCreation(SourceBodies.Operation(initializer, compilation), types, out var creation))
                    yield return new LinearCreation(member, creation!);
            }
        }
        foreach (var constructor in module.InstanceConstructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not ConstructorDeclarationSyntax declaration || SourceBodies.Operation(declaration, compilation) is not { } body) continue;
                foreach (var node in body.Descendants())
                {
                    foreach (var found in From(node, types)) yield return found;
                }
            }
        }
    }

    private static bool IsLinearCreation(IOperation? value, KnownTypes types, out IObjectCreationOperation? creation)
    {
        creation = Operations.Unwrap(value) as IObjectCreationOperation;
        return creation?.Constructor is { } constructor && SymbolEqualityComparer.Default.Equals(constructor.ContainingType, types.Linear);
    }
}
