using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TpCodegen.Generator.Helpers;
using TpCodegen.Generator.Model;
using TpCodegen.Roslyn;

namespace TpCodegen.Generator;

/// <summary>
/// Turns a marked member into a <see cref="LayerSpec"/>: the only code of the generator that touches symbols and
/// syntax. What it shards is decided by <see cref="ShardableMember"/>, which TP0017 reports from: whatever it refuses
/// yields null and no code, and the analyzer explains why to the author.
/// </summary>
internal static class Parser
{
    private const string LinearName = "Linear";
    private const string ModuleInterfaceName = "ITensorParallelModule";
    private const string ModuleInterfaceNamespace = "TpCodegen.Parallel";

    /// <summary>The transform of <c>ForAttributeWithMetadataName</c>: a property or a field declarator with the attribute.</summary>
    public static LayerSpec? ParseLayer(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        // The one "can the generator shard this member?" check, which TP0017 reports from too.
        if (ShardableMember.Check(context.TargetSymbol, cancellationToken) is not null) return null;
        var attribute = TensorParallelAttributeReader.Read(context.Attributes[0]);
        if (attribute.Split is not { } split) return null;
        var module = context.TargetSymbol.ContainingType;
        var hierarchy = ParseHierarchy(module, cancellationToken);
        if (hierarchy is null) return null;

        var initializer = context.TargetNode switch
        {
            PropertyDeclarationSyntax property => property.Initializer?.Value,
            VariableDeclaratorSyntax variable => variable.Initializer?.Value,
            _ => null,
        };
        string name = context.TargetSymbol.Name;
        var memberType = context.TargetSymbol is IPropertySymbol marked ? marked.Type : ((IFieldSymbol)context.TargetSymbol).Type;
        bool optional = memberType.NullableAnnotation == NullableAnnotation.Annotated;
        if (ShardableMember.IsEmbedding(memberType))
        {
            // A table's shape is always read from the member at run time: the plan needs its vocabulary and width.
            return new LayerSpec(hierarchy, name, Escape(name), LayerTarget.Embedding, split.Kind, split.Normalize(attribute.Options), null, null, false, optional);
        }
        var (inFeatures, outFeatures, hasBias) = ParseConstantShape(module, initializer, cancellationToken);
        return new LayerSpec(hierarchy, name, Escape(name), LayerTarget.Linear, split.Kind, split.Normalize(attribute.Options), inFeatures, outFeatures, hasBias, optional);
    }

    /// <summary>Groups the layers by module (source order within a module, modules by metadata name, ordinal).</summary>
    public static ImmutableArray<ModuleSpec> GroupByModule(ImmutableArray<LayerSpec> layers, CancellationToken cancellationToken)
    {
        var byModule = new Dictionary<string, List<LayerSpec>>(System.StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            if (!byModule.TryGetValue(layer.Module.MetadataName, out var list))
                byModule.Add(layer.Module.MetadataName, list = new List<LayerSpec>());
            list.Add(layer);
        }
        return byModule
            .OrderBy(pair => pair.Key, System.StringComparer.Ordinal)
            .Select(pair => new ModuleSpec(pair.Value[0].Module, new EquatableArray<LayerSpec>(pair.Value)))
            .ToImmutableArray();
    }

    /// <summary>The module and its containing types, outermost first (ShardableMember has checked they can be re-opened as partials).</summary>
    private static TypeHierarchy? ParseHierarchy(INamedTypeSymbol module, CancellationToken cancellationToken)
    {
        var types = new List<ContainingType>();
        var metadataNames = new List<string>();
        for (var type = module; type is not null; type = type.ContainingType)
        {
            string keyword = (type.TypeKind, type.IsRecord) switch
            {
                (TypeKind.Class, true) => "record",
                (TypeKind.Class, false) => "class",
                (TypeKind.Struct, true) => "record struct",
                (TypeKind.Struct, false) => "struct",
                (TypeKind.Interface, _) => "interface",
                _ => "",
            };
            if (keyword.Length == 0) return null;
            types.Insert(0, new ContainingType(keyword, Escape(type.Name)));
            metadataNames.Insert(0, type.MetadataName);
        }

        // From the segments' names, not ToDisplayString: the display form escapes keywords ("@event.Models"), and '@' is
        // not allowed in a hint name; written as C#, each keyword segment needs its '@' (namespace @event.Models).
        var segments = new List<string>();
        for (var containing = module.ContainingNamespace; containing is { IsGlobalNamespace: false }; containing = containing.ContainingNamespace)
            segments.Insert(0, containing.Name);
        string ns = string.Join(".", segments.Select(Escape));
        string metadataName = string.Join(".", segments.Append(string.Join("+", metadataNames)));
        string fullyQualified = module.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        string display = module.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);
        string? baseModule = BaseModule(module, cancellationToken)?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        return new TypeHierarchy(ns, metadataName, fullyQualified, display, new EquatableArray<ContainingType>(types), module.IsSealed, baseModule);
    }

    /// <summary>
    /// The nearest base class that is a module too: one of this compilation with a [TensorParallel] member (its generated
    /// members are virtual, as this generator emits them for an unsealed class), or a referenced class that implements
    /// ITensorParallelModule. The derived module's generated members then override the base's and shard both classes'
    /// layers: left alone, they would hide the base's members and leave its layers dense.
    /// </summary>
    private static INamedTypeSymbol? BaseModule(INamedTypeSymbol module, CancellationToken cancellationToken)
    {
        for (var type = module.BaseType; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            if (type.DeclaringSyntaxReferences.IsEmpty)
            {
                if (type.AllInterfaces.Any(i => i.Name == ModuleInterfaceName && i.ContainingNamespace?.ToDisplayString() == ModuleInterfaceNamespace))
                    return type;
                continue;
            }
            // A base the generator cannot extend (generic, not partial) gets no generated members to override: TP0017 flags it.
            if (type.GetMembers().Any(member => member.GetAttributes().Any(a => TensorParallelAttributeReader.IsTensorParallel(a.AttributeClass))) &&
                !type.IsGenericType && ShardableMember.IsPartialEverywhere(type, cancellationToken))
                return type;
        }
        return null;
    }

    /// <summary>
    /// The shape an initializer such as <c>new(4096, 11008)</c> or <c>new Linear(4096, 11008, bias: false)</c> fixes at
    /// compile time; each part is null when it is not a constant (for example a constructor parameter).
    /// </summary>
    /// <remarks>
    /// FAWMN re-runs this transform for every marked member whenever the compilation changes (any keystroke), so it reads
    /// the arguments from syntax and never binds: binding the initializer (even one name in it) cost about 0.4 ms per
    /// layer per edit. A constant is a literal or a const field of the module or a containing type, by simple name (a name a
    /// primary-constructor parameter or a base type's member could shadow is not);
    /// anything else is read from the layer at run time. Linear is sealed, so any <c>new</c> assigned to a Linear member
    /// creates a Linear(inFeatures, outFeatures, bias = true, seed = null). The initializer is not necessarily the layer
    /// the member holds when sharded (an object initializer or a constructor may store another), so the bias found here
    /// only words the generated doc comments: the generated code always takes the bias the runtime layer has.
    /// </remarks>
    private static (int? In, int? Out, bool? Bias) ParseConstantShape(INamedTypeSymbol module, ExpressionSyntax? initializer, CancellationToken cancellationToken)
    {
        var arguments = initializer switch
        {
            ImplicitObjectCreationExpressionSyntax implicitNew => implicitNew.ArgumentList.Arguments,
            ObjectCreationExpressionSyntax { ArgumentList: { } list } explicitNew when TypeName(explicitNew.Type) == LinearName => list.Arguments,
            _ => default(SeparatedSyntaxList<ArgumentSyntax>?),
        };
        if (arguments is not { } args) return (null, null, null);

        object? inFeatures = null, outFeatures = null, bias = true; // bias defaults to true when not passed
        string[] positional = ["inFeatures", "outFeatures", "bias", "seed"];
        for (int i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            string? parameter = argument.NameColon?.Name.Identifier.ValueText ?? (i < positional.Length ? positional[i] : null);
            object? value = ConstantOf(module, argument.Expression, cancellationToken);
            switch (parameter)
            {
                case "inFeatures": inFeatures = value; break;
                case "outFeatures": outFeatures = value; break;
                case "bias": bias = value; break;
            }
        }
        return (inFeatures as int?, outFeatures as int?, bias as bool?);
    }

    private static object? ConstantOf(INamedTypeSymbol module, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        if (expression is LiteralExpressionSyntax literal) return literal.Token.Value;
        if (expression is not IdentifierNameSyntax name) return null;
        string text = name.Identifier.ValueText;
        // The innermost declaration of the name wins, as in C# lookup; a non-const member of that name hides outer consts.
        // Without binding, the lookup is only followed where it is sure: a primary-constructor parameter (which an
        // initializer sees before the members) or a member inherited from a base type gives up, read at run time.
        for (var type = module; type is not null; type = type.ContainingType)
        {
            if (HasPrimaryConstructorParameter(type, text, cancellationToken)) return null;
            var members = type.GetMembers(text);
            if (!members.IsEmpty)
                return members[0] is IFieldSymbol { IsConst: true, HasConstantValue: true } field ? field.ConstantValue : null;
            for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
            {
                if (!baseType.GetMembers(text).IsEmpty) return null;
            }
        }
        return null;
    }

    private static bool HasPrimaryConstructorParameter(INamedTypeSymbol type, string name, CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: { } parameters } &&
                parameters.Parameters.Any(p => p.Identifier.ValueText == name))
                return true;
        }
        return false;
    }

    private static string? TypeName(TypeSyntax type) => type switch
    {
        IdentifierNameSyntax name => name.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        _ => null,
    };

    // Reserved keywords only: a contextual one (var, record, async) is a valid identifier as it stands.
    private static string Escape(string identifier) =>
        SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;
}
