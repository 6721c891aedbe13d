using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// What each API does to a placement, as the flow walk (<see cref="MethodFlow"/>) reads it: placement expressions,
/// methods that declare a [PlacementContract], the module's Forward, and calls that read a value out, print it, or
/// need it whole. The walk decides the order in which it asks; this table says what the answers are. Linear layers'
/// placements come from the split contract (<see cref="LayerInfo"/>).
/// </summary>
internal static class PlacementApis
{
    /// <summary>The layout a placement expression names (<c>Placement.Replicate</c>, <c>Placement.Shard(-1)</c>, <c>Placement.FromKind(...)</c>, ...), or Unknown.</summary>
    public static Layout ReadPlacement(IOperation? operation, KnownTypes types) => ReadPlacement(operation, types, followLocal: true);

    private static Layout ReadPlacement(IOperation? operation, KnownTypes types, bool followLocal)
    {
        switch (Operations.Unwrap(operation))
        {
            // var tokens = Placement.Shard(-2); ... .Redistribute(tokens): one step, never a chain of locals.
            case ILocalReferenceOperation local when followLocal:
                return ReadPlacement(SequenceApis.SingleInitializer(local), types, followLocal: false);
            case IPropertyReferenceOperation { Property.Name: "Replicate" } property when KnownTypes.Is(property.Property.ContainingType, types.Placement):
                return Layout.Replicate;
            case IInvocationOperation invocation when KnownTypes.Is(invocation.TargetMethod.ContainingType, types.Placement):
                return invocation.TargetMethod.Name switch
                {
                    "Shard" => ShardLayout(invocation.Arguments.FirstOrDefault()?.Value),
                    "Partial" => Layout.PartialSum,
                    // Placement.FromKind(PlacementKind.X): PlacementKind's values are the contract's layouts.
                    "FromKind" => invocation.Arguments.FirstOrDefault()?.Value.ConstantValue is { HasValue: true, Value: int kind } && kind is >= 0 and < (int)Layout.Unknown
                        ? (Layout)kind
                        : Layout.Unknown,
                    _ => Layout.Unknown,
                };
            case IObjectCreationOperation creation:
                if (KnownTypes.Is(creation.Type, types.ReplicatePlacement)) return Layout.Replicate;
                if (KnownTypes.Is(creation.Type, types.ShardPlacement)) return ShardLayout(creation.Arguments.FirstOrDefault()?.Value);
                if (KnownTypes.Is(creation.Type, types.PartialPlacement)) return Layout.PartialSum;
                return Layout.Unknown;
            default:
                return Layout.Unknown;
        }
    }

    private static bool IsLastDim(IOperation? operation) => operation?.ConstantValue is { HasValue: true, Value: -1 };

    /// <summary>Shard(-1) splits the features, Shard(-2) (or 0) the tokens; any other dimension is not followed.</summary>
    private static Layout ShardLayout(IOperation? dim) =>
        IsLastDim(dim) ? Layout.ShardLast : SequenceApis.IsTokenDim(dim) ? SequenceApis.TokenShard : Layout.Unknown;

    /// <summary>The placements a method declares with [PlacementContract] (its own, or the one it overrides).</summary>
    public static bool TryGetContract(IMethodSymbol method, KnownTypes types, out Layout input, out Layout output)
    {
        // Inherited = true on the attribute: an override keeps the contract of the method it overrides.
        for (var current = method; current is not null; current = current.OverriddenMethod)
        {
            foreach (var attribute in current.GetAttributes())
            {
                if (!KnownTypes.Is(attribute.AttributeClass, types.PlacementContractAttribute)) continue;
                // PlacementKind's values are the split contract's layouts (TpRuntime declares them so): the integers in
                // metadata read as Layout directly.
                if (attribute.ConstructorArguments.Length == 2
                    && attribute.ConstructorArguments[0].Value is int i && i is >= 0 and < (int)Layout.Unknown
                    && attribute.ConstructorArguments[1].Value is int o && o is >= 0 and < (int)Layout.Unknown)
                {
                    input = (Layout)i;
                    output = (Layout)o;
                    return true;
                }
            }
        }
        input = output = Layout.Unknown;
        return false;
    }

    /// <summary>The activation a method takes: its first DTensor parameter.</summary>
    public static IParameterSymbol? ActivationParameter(IMethodSymbol method, KnownTypes types) => method.Parameters.FirstOrDefault(p => types.IsDTensor(p.Type));

    /// <summary>A module's forward: a method named Forward that returns a DTensor, in a type that holds Linear layers.</summary>
    public static bool IsModuleForward(IMethodSymbol method, KnownTypes types) =>
        method.Name == "Forward"
        && types.IsDTensor(method.ReturnType)
        && method.ContainingType is { } type
        && type.GetMembers().Any(m => m switch
        {
            IPropertySymbol property => KnownTypes.Is(property.Type, types.Linear),
            IFieldSymbol field => KnownTypes.Is(field.Type, types.Linear),
            _ => false,
        });

    /// <summary>A method that reads a DTensor's values out (ToTensor, CopyTo, ToArray, ...).</summary>
    public static bool IsValueRead(string name) =>
        name == "ToTensor" || name == "CopyTo" || (name.StartsWith("To", StringComparison.Ordinal) && (name.EndsWith("Array", StringComparison.Ordinal) || name.EndsWith("List", StringComparison.Ordinal)));

    /// <summary>A method whose name says norm or softmax: it needs the whole value, never an addend.</summary>
    public static bool IsNormLike(string name) =>
        name.IndexOf("Norm", StringComparison.Ordinal) >= 0 || name.IndexOf("Softmax", StringComparison.OrdinalIgnoreCase) >= 0 || name.StartsWith("norm", StringComparison.Ordinal);

    /// <summary>Printing and logging.</summary>
    public static bool IsOutputSink(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (type is null) return false;
        // Asked of every call the walk does not know: names are compared, never formatted.
        if (type.Name == "Console" && IsNamespace(type.ContainingNamespace, "System")) return true;
        if (type.Name is "Debug" or "Trace" && IsNamespace(type.ContainingNamespace, "System.Diagnostics")) return true;
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.Name == "TextWriter" && IsNamespace(t.ContainingNamespace, "System.IO")) return true;
        }
        // ILogger and its extension methods, and any logger of the project's own.
        return type.Name.IndexOf("Logger", StringComparison.Ordinal) >= 0 || method.Name.StartsWith("Log", StringComparison.Ordinal);
    }

    /// <summary>Whether <paramref name="ns"/> is the namespace <paramref name="dotted"/> ("System.IO"), read from its innermost name out.</summary>
    private static bool IsNamespace(INamespaceSymbol? ns, string dotted)
    {
        int end = dotted.Length;
        for (; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            // More namespaces than the dotted name has parts.
            if (end <= 0) return false;
            int start = dotted.LastIndexOf('.', end - 1) + 1;
            if (end - start != ns.Name.Length || string.CompareOrdinal(dotted, start, ns.Name, 0, ns.Name.Length) != 0) return false;
            end = start - 1;
        }
        return end == -1;
    }

    public static string Describe(Layout layout) => layout switch
    {
        Layout.Replicate => "Replicate",
        Layout.ShardLast => "ShardLast",
        Layout.PartialSum => "PartialSum",
        SequenceApis.TokenShard => "Shard(-2)",
        _ => "unknown",
    };
}
