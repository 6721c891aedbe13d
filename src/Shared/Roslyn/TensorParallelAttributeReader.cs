using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TpCodegen.Contract;

namespace TpCodegen.Roslyn;

/// <summary>
/// What one <c>[TensorParallel]</c> attribute says: its split's contract row and its options, with which options the
/// author wrote. The one reader of the attribute: the generator, the flow analysis and every rule go through it.
/// </summary>
internal sealed class TensorParallelAttributeInfo
{
    private readonly bool?[] _written;

    public TensorParallelAttributeInfo(AttributeData attribute, SplitContract? split, bool?[] written)
    {
        Attribute = attribute;
        Split = split;
        _written = written;
    }

    /// <summary>The attribute as Roslyn sees it (for its syntax, in fixes and locations). Never kept by the generator.</summary>
    public AttributeData Attribute { get; }

    /// <summary>The split's contract row; null when the split argument is missing or a value no row has (broken code).</summary>
    public SplitContract? Split { get; }

    /// <summary>The value the author wrote for <paramref name="option"/>, or null when it is left out.</summary>
    public bool? Written(SplitOption option) => _written[(int)option];

    /// <summary>Every option, written or defaulted, as the attribute's instance would hold them.</summary>
    public LayerOptions Options
    {
        get
        {
            var options = LayerOptions.Defaults;
            foreach (var option in LayerOptions.All)
            {
                if (Written(option) is bool value) options = options.With(option, value);
            }
            return options;
        }
    }

    /// <summary>The layer contract: the split resolved for the options (null with <see cref="Split"/>).</summary>
    public LayerContract? Contract => Split?.Resolve(Options);

    /// <summary>The argument <c>Option = value</c> as written, for a diagnostic's location and for code fixes.</summary>
    public AttributeArgumentSyntax? ArgumentSyntax(SplitOption option, CancellationToken cancellationToken)
    {
        if (Attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } list }) return null;
        string name = LayerOptions.Name(option);
        foreach (var argument in list.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == name) return argument;
        }
        return null;
    }
}

internal static class TensorParallelAttributeReader
{
    /// <summary>The attribute's metadata name, as ForAttributeWithMetadataName and the analyzers look it up.</summary>
    public const string MetadataName = "TpCodegen.TensorParallelAttribute";

    /// <summary>Reads one attribute application (the caller has checked it is a [TensorParallel]).</summary>
    public static TensorParallelAttributeInfo Read(AttributeData attribute)
    {
        SplitContract? split = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int value
            ? SplitContracts.ForValue(value)
            : null;
        var written = new bool?[LayerOptions.All.Count];
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Value.Value is bool flag && LayerOptions.Parse(named.Key) is { } option) written[(int)option] = flag;
        }
        return new TensorParallelAttributeInfo(attribute, split, written);
    }

    /// <summary>The [TensorParallel] of <paramref name="member"/>, or null when it has none.</summary>
    public static TensorParallelAttributeInfo? Find(ISymbol member)
    {
        foreach (var attribute in member.GetAttributes())
        {
            if (IsTensorParallel(attribute.AttributeClass)) return Read(attribute);
        }
        return null;
    }

    /// <summary>Whether <paramref name="type"/> is TpCodegen.TensorParallelAttribute (by name: no compilation needed).</summary>
    public static bool IsTensorParallel(INamedTypeSymbol? type) =>
        type is { Name: "TensorParallelAttribute", ContainingType: null } &&
        type.ContainingNamespace is { Name: "TpCodegen", ContainingNamespace.IsGlobalNamespace: true };
}
