using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// What every placement rule shares: TpRuntime's types resolved once per compilation (nothing registered when the
/// project does not reference it), one walk per method body (<see cref="FlowCache"/>), and the rule reading the
/// walk's events.
/// </summary>
public abstract class PlacementRuleAnalyzer : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = KnownTypes.TryCreate(start.Compilation);
            if (types is null) return;
            SourceOperationActions.RegisterMethodBodyAction(start, (IOperation body, IMethodSymbol method, in BodyReporter report) =>
            {
                var events = FlowCache.Get(body, method, types, start.Compilation);
                foreach (var e in events) Check(e, report);
            });
        });
    }

    /// <summary>Reports this rule's diagnostics for one event of the walk.</summary>
    private protected abstract void Check(FlowEvent e, in BodyReporter report);

    /// <summary>An expression's text for a message, cut short so that a message stays one line.</summary>
    private protected static string Text(IOperation operation) => Operations.Text(operation.Syntax);

    /// <summary>
    /// Advice that calls a member on the value: "h.Redistribute(Placement.Replicate)" when the value is short enough
    /// to read, "'.Redistribute(Placement.Replicate)' on it" otherwise.
    /// </summary>
    private protected static string CallOn(string valueText, string member) =>
        valueText.Length <= 24 ? valueText + member : "'" + member + "' on it";
}
