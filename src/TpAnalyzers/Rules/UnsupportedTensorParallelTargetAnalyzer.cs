// TP0017 — [TensorParallel] where the generator cannot act on it.
// The generator shards what ShardableMember (src/Shared/Roslyn) accepts: an instance property or field of type
// TpCodegen.Linear in a non-static partial class, every type around it partial and non-generic. Anywhere else it
// emits nothing and says nothing: the layer stays dense and the first sharded input fails at run time, far from the
// cause. This rule asks the same check and says why, at the member; it never fires where the generator shards.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Roslyn;
using TpCodegen.Analyzers.Toolkit;

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
        // The generator's own check: this rule reports exactly what the generator refuses (broken code aside).
        if (ShardableMember.Check(member, context.CancellationToken) is not { CompilerReports: false } refusal) return;
        var properties = refusal.AddPartial
            ? ImmutableDictionary<string, string?>.Empty.Add(AddPartialProperty, "true")
            : ImmutableDictionary<string, string?>.Empty;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.UnsupportedTensorParallelTarget, member.Locations[0], properties, member.ContainingType.Name + "." + member.Name, refusal.Reason));
    }
}
