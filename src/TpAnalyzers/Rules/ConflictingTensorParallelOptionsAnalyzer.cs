// TP0018 — [TensorParallel] options that contradict the split, or each other.
// GatherOutput belongs to Column layers; InputIsParallel and ReduceResults to Row layers (see the attribute's docs).
// Written on the other split they do nothing, yet the author now believes the layer returns or takes something it
// does not. Worse, a Row layer with a bias that keeps its output partial (ReduceResults = false) without
// SkipBiasAdd = true adds the bias on every rank: after the later reduce the bias counts tp times. SkipBiasAdd is
// valid on both splits (Megatron's column and row layers both have skip_bias_add), so it is never flagged alone.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Rules.Parallelism;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConflictingTensorParallelOptionsAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ConflictingTensorParallelOptions);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var types = KnownTypes.TryCreate(start.Compilation);
            if (types?.TensorParallelAttribute is not { } attribute) return;
            start.RegisterSymbolAction(c => AnalyzeOptions(c, attribute), SymbolKind.Field, SymbolKind.Property);
            // The bias is known only where the layer is created: its initializer or a constructor assignment.
            start.RegisterOperationAction(
                c => AnalyzeBias(c, types, attribute),
                OperationKind.PropertyInitializer, OperationKind.FieldInitializer, OperationKind.SimpleAssignment);
        });
    }

    private static void AnalyzeOptions(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        if (TensorParallelOptions.Of(context.Symbol, attribute) is not { } options) return;
        if (options.IsRow && options.Option("GatherOutput") == true)
            Report(context.ReportDiagnostic, context.Symbol, options, "GatherOutput",
                "GatherOutput = true applies only to Column layers, and a Row layer's reduced output is already whole; remove it", context.CancellationToken);
        if (options.IsColumn && options.Option("InputIsParallel") == false)
            Report(context.ReportDiagnostic, context.Symbol, options, "InputIsParallel",
                "InputIsParallel = false applies only to Row layers, and a Column layer always takes a replicated input; remove it", context.CancellationToken);
        if (options.IsColumn && options.Option("ReduceResults") == false)
            Report(context.ReportDiagnostic, context.Symbol, options, "ReduceResults",
                "ReduceResults = false applies only to Row layers, and a Column layer makes no partial sums; remove it", context.CancellationToken);
    }

    private static void AnalyzeBias(OperationAnalysisContext context, KnownTypes types, INamedTypeSymbol attribute)
    {
        foreach (var creation in LinearCreation.From(context.Operation, types))
        {
            if (TensorParallelOptions.Of(creation.Member, attribute) is not { IsRow: true } options) continue;
            if (options.Option("ReduceResults") != false || options.Option("SkipBiasAdd") == true || creation.HasBias() != true) continue;
            Report(context.ReportDiagnostic, creation.Member, options, "ReduceResults",
                "ReduceResults = false keeps the output a partial sum, but the layer has a bias and no SkipBiasAdd = true, so every rank adds the bias and the reduced output holds it tp times; set SkipBiasAdd = true or remove ReduceResults = false",
                context.CancellationToken);
        }
    }

    private static void Report(System.Action<Diagnostic> report, ISymbol member, TensorParallelOptions options, string option, string problem, System.Threading.CancellationToken cancellationToken)
    {
        var location = options.ArgumentSyntax(option, cancellationToken)?.GetLocation() ?? (member.Locations.Length > 0 ? member.Locations[0] : Location.None);
        report(Diagnostic.Create(Descriptors.ConflictingTensorParallelOptions, location, options.Split, member.Name, problem));
    }
}
