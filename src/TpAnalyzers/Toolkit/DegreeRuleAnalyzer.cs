using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The base of the rules that check constant shapes against the tensor-parallel degrees the compilation states
/// (TP0014, TP0019): TpRuntime's types and the stated degrees resolved once per compilation, nothing registered for a
/// compilation without [TensorParallel] or without any stated degree.
/// </summary>
public abstract class DegreeRuleAnalyzer : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.TryCreate(start.Compilation) is not { TensorParallelAttribute: not null } types || !AppliesTo(types)) return;
            // No degree stated anywhere: no constant can be refused, and nothing is read.
            if (!StatedDegrees.AnyMayBeStated(start.Compilation, start.Options)) return;
            Register(start, types, new StatedDegrees(start.Compilation, start.Options));
        });
    }

    /// <summary>False when the compilation lacks a type the rule reads (an older TpRuntime).</summary>
    private protected virtual bool AppliesTo(KnownTypes types) => true;

    private protected abstract void Register(CompilationStartAnalysisContext start, KnownTypes types, StatedDegrees degrees);
}
