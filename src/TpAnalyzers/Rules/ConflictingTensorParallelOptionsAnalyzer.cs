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
using TpCodegen.Contract;
using TpCodegen.Roslyn;

namespace TpCodegen.Analyzers.Rules;

/// <remarks>The conflicts are the split contract's (<see cref="SplitContract.Conflicts"/>): this rule only finds and reports them.</remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConflictingTensorParallelOptionsAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The property naming another option the code fix may remove instead of the one the diagnostic is on.</summary>
    public const string AlsoRemovableProperty = "AlsoRemovable";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ConflictingTensorParallelOptions);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(AnalyzeOptions, SymbolKind.Field, SymbolKind.Property);
    }

    private static void AnalyzeOptions(SymbolAnalysisContext context)
    {
        // Options left out take the attribute's defaults, which never conflict: only written options are checked.
        if (TensorParallelAttributeReader.Find(context.Symbol) is not { Split: { } split } attribute) return;
        // One delegate for all of the split's conflicts, not one per conflict.
        System.Func<SplitOption, bool?> written = attribute.Written;
        foreach (var conflict in split.Conflicts)
        {
            if (!conflict.IsHitBy(written)) continue;
            var member = context.Symbol;
            var location = attribute.ArgumentSyntax(conflict.Option, context.CancellationToken)?.GetLocation()
                ?? (member.Locations.Length > 0 ? member.Locations[0] : Location.None);
            var properties = conflict.With is { } other
                ? ImmutableDictionary<string, string?>.Empty.Add(AlsoRemovableProperty, LayerOptions.Name(other))
                : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.ConflictingTensorParallelOptions, location, properties, split.Name, member.Name, conflict.Problem));
        }
    }
}
