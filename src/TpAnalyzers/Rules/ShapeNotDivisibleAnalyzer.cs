// TP0014 — a constant shape that the tensor-parallel degree does not divide.
// A Column layer splits its output features into tp equal slices and a Row layer its input features; attention
// splits its heads. With constant sizes and a constant degree the mismatch is known at compile time, yet today it
// surfaces only when the module is sharded on the cluster. The degree comes from the module's const
// TensorParallelDegree/TpDegree, the MSBuild property TpDegree, or DeviceMesh.Create(world, dp, <const>) (see Degrees).
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;
using TpCodegen.Roslyn;

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
            if (types?.TensorParallelAttribute is null) return;
            var degrees = new StatedDegrees(start.Compilation, start.Options);
            start.RegisterOperationAction(
                c => AnalyzeLayer(c, types, degrees),
                OperationKind.PropertyInitializer, OperationKind.FieldInitializer, OperationKind.SimpleAssignment);
            start.RegisterSymbolAction(c => AnalyzeHeads(c, types, degrees), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeLayer(OperationAnalysisContext context, KnownTypes types, StatedDegrees degrees)
    {
        foreach (var creation in LinearCreation.From(context.Operation, types))
        {
            if (TensorParallelAttributeReader.Find(creation.Member)?.Split is not { } split) continue;
            // The dimension the contract says the split divides.
            var argument = creation.Argument(split.Divides == DividedDimension.OutFeatures ? "outFeatures" : "inFeatures");
            if (argument?.Value.ConstantValue is not { HasValue: true, Value: int size } || size < 1) continue;
            if (StatedDegrees.FirstRefused(degrees.For(creation.Member.ContainingType), d => split.AllowsDegree(size, d)) is not int degree) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.ShapeNotDivisibleByDegree,
                argument.Value.Syntax.GetLocation(),
                $"{split.Name} layer '{creation.Member.Name}'",
                split.DividedName,
                size,
                degree,
                Degrees.ValidText(size)));
        }
    }

    private static void AnalyzeHeads(SymbolAnalysisContext context, KnownTypes types, StatedDegrees degrees)
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
            if (StatedDegrees.FirstRefused(degrees.For(module), d => Degrees.Divides(heads, d)) is not int degree) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.ShapeNotDivisibleByDegree, field.Locations[0], $"Module '{module.Name}'", field.Name, heads, degree, Degrees.ValidText(heads)));
        }
    }
}
