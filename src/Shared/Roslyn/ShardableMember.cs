using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Roslyn;

/// <summary>Why the generator does not shard a [TensorParallel] member.</summary>
/// <param name="Reason">The reason, worded for the author (TP0017's message).</param>
/// <param name="AddPartial">Whether declaring the types around the member partial fixes it.</param>
/// <param name="CompilerReports">True for broken code the compiler already reports (an unresolved type, a duplicated
/// attribute): the generator skips it, and the analyzers stay silent rather than repeat the compiler.</param>
internal sealed record Refusal(string Reason, bool AddPartial = false, bool CompilerReports = false);

/// <summary>
/// "Can the generator shard this member?", asked once: the generator emits code exactly for the members this accepts,
/// and TP0017 reports exactly the members it refuses (except broken code the compiler reports), so the two cannot
/// disagree. A member qualifies when it is an instance property with a getter or an instance field, of type
/// TpCodegen.Linear (or TpCodegen.Embedding, under a split that divides a table by vocabulary id), with one
/// [TensorParallel] of a known split, in a non-static class (the module) that can be
/// re-opened as a partial declaration: it and every type around it partial and non-generic. Types around the module
/// may be of any kind (a struct, a static class): generated code only re-opens them.
/// </summary>
internal static class ShardableMember
{
    /// <summary>Null when the generator shards <paramref name="member"/>; otherwise why not.</summary>
    public static Refusal? Check(ISymbol member, CancellationToken cancellationToken)
    {
        ITypeSymbol? type = member switch
        {
            IPropertySymbol property => property.Type,
            IFieldSymbol field => field.Type,
            _ => null,
        };
        if (type is null) return new Refusal("it is not a property or a field");
        // An unresolved type is half-typed code: the compiler already says so.
        if (type.TypeKind == TypeKind.Error) return new Refusal("its type does not resolve", CompilerReports: true);
        bool embedding = IsEmbedding(type);
        if (!IsLinear(type) && !embedding) return new Refusal($"its type is '{type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}', not TpCodegen.Linear or TpCodegen.Embedding");
        if (member.IsStatic) return new Refusal($"'{member.Name}' is static, and the generator shards a module instance's layers");
        switch (member)
        {
            case IPropertySymbol { IsIndexer: true }:
                return new Refusal($"'{member.Name}' is an indexer, and the generator shards one named layer per member");
            case IPropertySymbol { GetMethod: null }:
                return new Refusal($"'{member.Name}' has no getter, and the generated code reads the layer through it");
            case IFieldSymbol { IsConst: true }:
                return new Refusal($"'{member.Name}' is a constant", CompilerReports: true);
        }

        int attributes = 0;
        TensorParallelAttributeInfo? info = null;
        foreach (var attribute in member.GetAttributes())
        {
            if (!TensorParallelAttributeReader.IsTensorParallel(attribute.AttributeClass)) continue;
            attributes++;
            info = TensorParallelAttributeReader.Read(attribute);
        }
        if (attributes != 1 || info is null) return new Refusal("it has more than one [TensorParallel]", CompilerReports: true);
        if (info.Split is null)
        {
            bool broken = info.Attribute.ConstructorArguments.Length != 1 || info.Attribute.ConstructorArguments[0].Value is not int;
            return new Refusal(broken ? "its split does not bind" : $"its split ({info.Attribute.ConstructorArguments[0].Value}) is not a value of TpCodegen.Split", CompilerReports: broken);
        }
        if (embedding && !info.Split.SplitsEmbeddings)
            return new Refusal($"an Embedding is split by vocabulary id, not by {info.Split.Name.ToLowerInvariant()}s; mark it [TensorParallel(Split.Vocab)]");

        var module = member.ContainingType;
        if (module is null) return new Refusal("it has no containing type");
        string moduleName = Display(module);
        if (module.TypeKind == TypeKind.Interface) return new Refusal($"'{moduleName}' is an interface");
        if (module.TypeKind == TypeKind.Struct) return new Refusal($"'{moduleName}' is a struct, and a module must be a class that shards in place");
        if (module.TypeKind != TypeKind.Class) return new Refusal($"'{moduleName}' is not a class");
        if (module.IsStatic) return new Refusal($"'{moduleName}' is static");

        for (var container = module; container is not null; container = container.ContainingType)
        {
            string name = Display(container);
            if (container.IsGenericType) return new Refusal($"'{name}' is generic, and the generator emits code for closed module types only");
            if (!IsPartialEverywhere(container, cancellationToken))
                return new Refusal($"'{name}' is not partial, so generated code cannot extend it; declare it partial", AddPartial: true);
        }
        return null;
    }

    /// <summary>Whether <paramref name="type"/> is TpCodegen.Linear.</summary>
    public static bool IsLinear(ITypeSymbol type) => IsRuntimeType(type, "Linear");

    private static bool IsRuntimeType(ITypeSymbol type, string name) =>
        type is INamedTypeSymbol { IsGenericType: false, ContainingType: null } named && named.Name == name &&
        named.ContainingNamespace is { Name: "TpCodegen", ContainingNamespace.IsGlobalNamespace: true };

    /// <summary>Whether <paramref name="type"/> is TpCodegen.Embedding.</summary>
    public static bool IsEmbedding(ITypeSymbol type) => IsRuntimeType(type, "Embedding");

    /// <summary>True when every declaration of <paramref name="type"/> is in source and says partial.</summary>
    public static bool IsPartialEverywhere(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (type.DeclaringSyntaxReferences.IsEmpty) return false;
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration ||
                !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                return false;
        }
        return true;
    }

    private static string Display(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
}
