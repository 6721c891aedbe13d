using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Small, bounded data flow over IOperation: enough to see that <c>var y = Down.Forward(x); g.AllReduce(y.LocalSpan)</c>
/// reduces a layer's output, without a full data-flow analysis. Every walk is depth-limited and tolerates broken code.
/// </summary>
internal static class Operations
{
    /// <summary>How many local initializers a walk follows: a few hops cover real code and keep the cost fixed.</summary>
    public const int MaxLocalDepth = 3;

    /// <summary>
    /// The expression itself, without the conversions and parentheses around it: the one unwrapping every rule and the
    /// flow analysis use.
    /// </summary>
    public static IOperation? Unwrap(IOperation? operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>The value a local was declared with (<c>var y = ...</c>), or null when it has none or lives elsewhere.</summary>
    public static IOperation? InitializerOf(ILocalReferenceOperation reference)
    {
        var model = reference.SemanticModel;
        if (model is null) return null;
        foreach (var declaration in reference.Local.DeclaringSyntaxReferences)
        {
            if (declaration.SyntaxTree != model.SyntaxTree) continue;
            if (declaration.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } value })
                return model.GetOperation(value);
        }
        return null;
    }

    /// <summary>
    /// The receiver chain a buffer expression reads, outermost first: <c>Gate.Weight.AsSpan()</c> yields the AsSpan
    /// call, <c>Gate.Weight</c>, then <c>Gate</c>; a local continues into its initializer.
    /// </summary>
    public static ReceiverChain Chain(IOperation? operation) => new(Unwrap(operation));

    /// <summary>The link after <paramref name="operation"/> in a receiver chain (<see cref="Chain"/>), or null at its end.</summary>
    internal static IOperation? NextInChain(IOperation operation, ref int locals)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                return invocation.Instance ?? (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
            case IPropertyReferenceOperation property:
                return property.Instance;
            case IFieldReferenceOperation field:
                return field.Instance;
            case IArrayElementReferenceOperation element:
                return element.ArrayReference;
            case IImplicitIndexerReferenceOperation indexer:
                return indexer.Instance;
            case IObjectCreationOperation creation:
                return creation.Arguments.Length > 0 ? creation.Arguments[0].Value : null;
            case ILocalReferenceOperation local when locals < MaxLocalDepth:
                locals++;
                return InitializerOf(local);
            default:
                return null;
        }
    }

    /// <summary>The name an operation reads: a local, parameter, field or property (not a call).</summary>
    public static string? ReferencedName(IOperation? operation) => Unwrap(operation) switch
    {
        ILocalReferenceOperation local => local.Local.Name,
        IParameterReferenceOperation parameter => parameter.Parameter.Name,
        IFieldReferenceOperation field => field.Field.Name,
        IPropertyReferenceOperation property => property.Property.Name,
        _ => null,
    };

    /// <summary>The operation itself and everything below it.</summary>
    public static IEnumerable<IOperation> SelfAndDescendants(IOperation operation)
    {
        yield return operation;
        foreach (var descendant in operation.Descendants()) yield return descendant;
    }

    /// <summary>The topmost operation above <paramref name="operation"/>: the method body, field initializer, ...</summary>
    public static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null) operation = operation.Parent;
        return operation;
    }

    public static bool IsInside(IOperation operation, IOperation ancestor)
    {
        for (var o = operation; o is not null; o = o.Parent)
        {
            if (o == ancestor) return true;
        }
        return false;
    }

    /// <summary>Source text for a message, shortened so that a long expression does not swamp it.</summary>
    public static string Text(SyntaxNode node)
    {
        var text = System.Text.RegularExpressions.Regex.Replace(node.ToString(), @"\s+", " ");
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }
}
