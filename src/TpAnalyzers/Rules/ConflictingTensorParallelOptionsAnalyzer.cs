// TP0018 — [TensorParallel] options that contradict the split, or each other.
// GatherOutput belongs to Column layers; InputIsParallel and ReduceResults to Row layers (see the attribute's docs).
// Written on the other split they do nothing, yet the author now believes the layer returns or takes something it
// does not. A Column layer that gathers its output and skips its bias cannot be used: the skipped bias it hands back
// is this rank's slice (out / tp), while the gathered output is full width. SkipBiasAdd is otherwise valid on both
// splits (Megatron's column and row layers both have skip_bias_add). A Row layer with ReduceResults = false and a bias
// is fine without SkipBiasAdd: the generated shard adds the bias on rank 0 only, so the later reduce adds it once.
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
            if (KnownTypes.TryCreate(start.Compilation)?.TensorParallelAttribute is not { } attribute) return;
            start.RegisterSymbolAction(c => AnalyzeOptions(c, attribute), SymbolKind.Field, SymbolKind.Property);
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
        if (options.IsColumn && options.Option("GatherOutput") == true && options.Option("SkipBiasAdd") == true)
            Report(context.ReportDiagnostic, context.Symbol, options, "SkipBiasAdd",
                "SkipBiasAdd = true hands back this rank's slice of the bias (out / tp), but GatherOutput = true gathers the output in full, so the slice cannot be added to it; remove SkipBiasAdd or GatherOutput",
                context.CancellationToken, alsoRemovable: "GatherOutput");
    }

    /// <summary>The property naming another option the code fix may remove instead of the one the diagnostic is on.</summary>
    public const string AlsoRemovableProperty = "AlsoRemovable";

    private static void Report(System.Action<Diagnostic> report, ISymbol member, TensorParallelOptions options, string option, string problem,
        System.Threading.CancellationToken cancellationToken, string? alsoRemovable = null)
    {
        var location = options.ArgumentSyntax(option, cancellationToken)?.GetLocation() ?? (member.Locations.Length > 0 ? member.Locations[0] : Location.None);
        var properties = alsoRemovable is null
            ? ImmutableDictionary<string, string?>.Empty
            : ImmutableDictionary<string, string?>.Empty.Add(AlsoRemovableProperty, alsoRemovable);
        report(Diagnostic.Create(Descriptors.ConflictingTensorParallelOptions, location, properties, options.Split, member.Name, problem));
    }
}
