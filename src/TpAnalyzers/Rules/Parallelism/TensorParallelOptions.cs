using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Rules.Parallelism;

/// <summary>
/// What one [TensorParallel] attribute says: the split, and which options the author wrote (and where). Options
/// left out take the attribute's defaults, which never conflict, so only written options are kept.
/// </summary>
internal sealed class TensorParallelOptions
{
    private TensorParallelOptions(string split, AttributeData attribute)
    {
        Split = split;
        Attribute = attribute;
    }

    /// <summary>"Column" or "Row".</summary>
    public string Split { get; }

    public AttributeData Attribute { get; }

    public bool IsColumn => Split == "Column";

    public bool IsRow => Split == "Row";

    /// <summary>The value the author wrote for a bool option, or null when the option is left out.</summary>
    public bool? Option(string name)
    {
        foreach (var argument in Attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is bool value) return value;
        }
        return null;
    }

    /// <summary>The attribute argument <c>Name = value</c> as written, for a location and for the code fix.</summary>
    public AttributeArgumentSyntax? ArgumentSyntax(string name, System.Threading.CancellationToken cancellationToken)
    {
        if (Attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } list }) return null;
        foreach (var argument in list.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == name) return argument;
        }
        return null;
    }

    /// <summary>The options of a [TensorParallel] member, or null when it has none or its split does not bind.</summary>
    public static TensorParallelOptions? Of(ISymbol member, INamedTypeSymbol attributeType)
    {
        foreach (var attribute in member.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType)) continue;
            if (attribute.ConstructorArguments.Length != 1) return null;
            // Split.Column = 0, Split.Row = 1 (TpRuntime's enum); anything else is broken code.
            return attribute.ConstructorArguments[0].Value switch
            {
                0 => new TensorParallelOptions("Column", attribute),
                1 => new TensorParallelOptions("Row", attribute),
                _ => null,
            };
        }
        return null;
    }
}

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

    private static bool IsLinearCreation(IOperation? value, KnownTypes types, out IObjectCreationOperation? creation)
    {
        creation = Operations.Unwrap(value) as IObjectCreationOperation;
        return creation?.Constructor is { } constructor && SymbolEqualityComparer.Default.Equals(constructor.ContainingType, types.Linear);
    }
}
