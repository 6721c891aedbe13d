using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The bodies a call of an interface, abstract or virtual method may run: its implementations and overrides declared in
/// the compilation. The compilation's types are listed once per compilation.
/// </summary>
internal static class Implementations
{
    private static readonly ConditionalWeakTable<Compilation, INamedTypeSymbol[]> s_types = new();

    /// <summary>True for a method whose call is dispatched: an interface member, abstract, or virtual.</summary>
    public static bool IsDispatched(IMethodSymbol method) =>
        method.ContainingType?.TypeKind == TypeKind.Interface || method.IsAbstract || method.IsVirtual;

    public static IEnumerable<IMethodSymbol> Of(IMethodSymbol method, Compilation compilation)
    {
        var declaring = method.ContainingType;
        if (declaring is null) yield break;
        foreach (var type in s_types.GetValue(compilation, Types))
        {
            if (declaring.TypeKind == TypeKind.Interface)
            {
                if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || !type.AllInterfaces.Contains(declaring, SymbolEqualityComparer.Default)) continue;
                // Only the type that declares the implementation, not every type that inherits it.
                if (type.FindImplementationForInterfaceMember(method) is IMethodSymbol implementation &&
                    SymbolEqualityComparer.Default.Equals(implementation.ContainingType, type))
                    yield return implementation;
            }
            else
            {
                foreach (var member in type.GetMembers(method.Name))
                {
                    if (member is IMethodSymbol { IsOverride: true } candidate && Overrides(candidate, method)) yield return candidate;
                }
            }
        }
    }

    private static bool Overrides(IMethodSymbol candidate, IMethodSymbol method)
    {
        for (var overridden = candidate.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (SymbolEqualityComparer.Default.Equals(overridden.OriginalDefinition, method)) return true;
        }
        return false;
    }

    private static INamedTypeSymbol[] Types(Compilation compilation)
    {
        var types = new List<INamedTypeSymbol>();
        var pending = new Stack<INamespaceOrTypeSymbol>();
        pending.Push(compilation.Assembly.GlobalNamespace);
        while (pending.Count > 0)
        {
            foreach (var member in pending.Pop().GetMembers())
            {
                if (member is INamespaceSymbol ns) pending.Push(ns);
                else if (member is INamedTypeSymbol type)
                {
                    types.Add(type);
                    pending.Push(type);
                }
            }
        }
        return types.ToArray();
    }
}
