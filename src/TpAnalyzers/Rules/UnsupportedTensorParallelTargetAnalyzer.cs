// TP0017 — [TensorParallel] where the generator cannot act on it.
// The generator shards instance properties and fields of type TpCodegen.Linear whose class (and every class around
// it) is a non-generic, non-static partial class. Anywhere else it emits nothing and says nothing: the layer stays
// dense and the first sharded input fails at run time, far from the cause. This rule says why, at the member.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Rules.Parallelism;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnsupportedTensorParallelTargetAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property that tells the code fix to add <c>partial</c> to the types around the member.</summary>
    public const string AddPartialProperty = "AddPartial";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.UnsupportedTensorParallelTarget);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var types = KnownTypes.TryCreate(start.Compilation);
            if (types?.TensorParallelAttribute is null || types.Linear is null) return;
            start.RegisterSymbolAction(c => Analyze(c, types), SymbolKind.Field, SymbolKind.Property);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, KnownTypes types)
    {
        var member = context.Symbol;
        if (!types.IsTensorParallelMember(member) || member.Locations.Length == 0) return;
        bool addPartial = false;
        string? reason = Reason(member, types, context.CancellationToken, ref addPartial);
        if (reason is null) return;
        var properties = addPartial
            ? ImmutableDictionary<string, string?>.Empty.Add(AddPartialProperty, "true")
            : ImmutableDictionary<string, string?>.Empty;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.UnsupportedTensorParallelTarget, member.Locations[0], properties, member.ContainingType.Name + "." + member.Name, reason));
    }

    private static string? Reason(ISymbol member, KnownTypes types, System.Threading.CancellationToken cancellationToken, ref bool addPartial)
    {
        var type = member switch
        {
            IPropertySymbol property => property.Type,
            IFieldSymbol field => field.Type,
            _ => null,
        };
        // An unresolved type is half-typed code: the compiler already says so.
        if (type is null || type.TypeKind == TypeKind.Error) return null;
        if (!SymbolEqualityComparer.Default.Equals(type, types.Linear))
            return $"its type is '{type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}', not TpCodegen.Linear";
        if (member.IsStatic) return $"'{member.Name}' is static, and the generator shards a module instance's layers";

        for (var container = member.ContainingType; container is not null; container = container.ContainingType)
        {
            string name = container.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            switch (container.TypeKind)
            {
                case TypeKind.Interface:
                    return $"'{name}' is an interface";
                case TypeKind.Struct:
                    return $"'{name}' is a struct, and a module must be a class that shards in place";
            }
            if (container.IsStatic) return $"'{name}' is static";
            if (container.TypeParameters.Length > 0) return $"'{name}' is generic, and the generator emits code for closed module types only";
            if (!IsPartial(container, cancellationToken))
            {
                addPartial = true;
                return $"'{name}' is not partial, so generated code cannot extend it; declare it partial";
            }
        }
        return null;
    }

    private static bool IsPartial(INamedTypeSymbol type, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                return false;
        }
        return true;
    }
}
