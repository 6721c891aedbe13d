// TP0014 — a constant shape that the tensor-parallel degree does not divide.
// A Column layer splits its output features into tp equal slices and a Row layer its input features; attention
// splits its heads. With constant sizes and a constant degree the mismatch is known at compile time, yet today it
// surfaces only when the module is sharded on the cluster. The degree comes from the module's const
// TensorParallelDegree/TpDegree, the MSBuild property TpDegree, or DeviceMesh.Create(world, dp, <const>) (see Degrees).
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Rules.Parallelism;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ShapeNotDivisibleAnalyzer : DiagnosticAnalyzer
{
    // The head counts a module may declare as constants (Llama, GPT-NeoX and Hugging Face config spellings).
    private static readonly ImmutableHashSet<string> HeadConstants = ImmutableHashSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "Heads", "NumHeads", "NumAttentionHeads", "AttentionHeads", "NumKeyValueHeads", "KeyValueHeads", "NumKvHeads", "KvHeads");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ShapeNotDivisibleByDegree);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var types = KnownTypes.TryCreate(start.Compilation);
            if (types?.TensorParallelAttribute is not { } attribute) return;
            var degrees = new Degrees(start.Compilation, start.Options);
            start.RegisterOperationAction(
                c => AnalyzeLayer(c, types, attribute, degrees),
                OperationKind.PropertyInitializer, OperationKind.FieldInitializer, OperationKind.SimpleAssignment);
            start.RegisterSymbolAction(c => AnalyzeHeads(c, types, degrees), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeLayer(OperationAnalysisContext context, KnownTypes types, INamedTypeSymbol attribute, Degrees degrees)
    {
        foreach (var creation in LinearCreation.From(context.Operation, types))
        {
            if (TensorParallelOptions.Of(creation.Member, attribute) is not { } options) continue;
            // Column divides output features, Row input features.
            var argument = creation.Argument(options.IsColumn ? "outFeatures" : "inFeatures");
            if (argument?.Value.ConstantValue is not { HasValue: true, Value: int size } || size < 1) continue;
            if (Degrees.FirstNotDividing(degrees.For(creation.Member.ContainingType), size) is not int degree) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.ShapeNotDivisibleByDegree,
                argument.Value.Syntax.GetLocation(),
                $"{options.Split} layer '{creation.Member.Name}'",
                options.IsColumn ? "output features" : "input features",
                size,
                degree,
                Degrees.ValidDegrees(size)));
        }
    }

    private static void AnalyzeHeads(SymbolAnalysisContext context, KnownTypes types, Degrees degrees)
    {
        var module = (INamedTypeSymbol)context.Symbol;
        var members = module.GetMembers();
        // Only modules with tensor-parallel layers: a head count elsewhere is none of this rule's business.
        bool sharded = false;
        foreach (var member in members) sharded |= types.IsTensorParallelMember(member);
        if (!sharded) return;
        foreach (var member in members)
        {
            if (member is not IFieldSymbol { IsConst: true, ConstantValue: int heads } field || heads < 1 || !HeadConstants.Contains(field.Name) || field.Locations.Length == 0)
                continue;
            if (Degrees.FirstNotDividing(degrees.For(module), heads) is not int degree) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.ShapeNotDivisibleByDegree, field.Locations[0], $"Module '{module.Name}'", field.Name, heads, degree, Degrees.ValidDegrees(heads)));
        }
    }
}
