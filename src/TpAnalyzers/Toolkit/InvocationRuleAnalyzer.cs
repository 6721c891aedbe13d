using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The base of the rules that judge one call at a time (a collective, a reduce): resolves the TpRuntime types once per
/// compilation, registers nothing for a compilation that does not reference TpRuntime (or lacks what the rule reads),
/// and hands each invocation to the rule. The flow rules have their own base, Flow/PlacementRuleAnalyzer.
/// </summary>
public abstract class InvocationRuleAnalyzer : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.TryCreate(start.Compilation) is not { } types || !AppliesTo(types)) return;
            SourceOperationActions.RegisterOperationAction(start, c => AnalyzeInvocation(c, (IInvocationOperation)c.Operation, types), OperationKind.Invocation);
        });
    }

    /// <summary>False when the compilation lacks a type the rule reads (an older TpRuntime).</summary>
    private protected virtual bool AppliesTo(KnownTypes types) => true;

    private protected abstract void AnalyzeInvocation(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types);
}
