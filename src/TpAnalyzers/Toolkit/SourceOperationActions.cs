using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// How every rule asks for operations: once per syntax tree (a semantic model action) over <see cref="SourceOperations"/>,
/// instead of the driver's operation and operation-block actions. As soon as one analyzer registers those, the driver
/// binds every initializer and attribute, builds and flattens every member's operations and dispatches them to each
/// analyzer: measured on the 500-module benchmark, that alone cost more than the compile itself, against half of that
/// for binding the same bodies here (bench/TpBench --analyzer-times). A rule that registers a driver operation action
/// brings that cost back for all of them.
/// </summary>
internal static class SourceOperationActions
{
    /// <summary>
    /// In place of <c>start.RegisterOperationAction</c>: the same operations, from one walk per tree, kind by kind (in
    /// source order within a kind).
    /// </summary>
    public static void RegisterOperationAction(CompilationStartAnalysisContext start, Action<SourceOperationContext> action, params OperationKind[] kinds)
    {
        foreach (var kind in kinds) OperationIndex.Want(kind);
        start.RegisterSemanticModelAction(model =>
        {
            var index = SourceOperations.Of(model.SemanticModel, model.Options, model.CancellationToken).Index;
            foreach (var kind in kinds)
            {
                foreach (var (operation, owner) in index.OfKind(kind))
                {
                    model.CancellationToken.ThrowIfCancellationRequested();
                    action(new SourceOperationContext(operation, owner, model));
                }
            }
        });
    }

    /// <summary>A rule's handler for one method's (or accessor's, or program's) body with its symbol.</summary>
    public delegate void MethodBodyAction(IOperation body, IMethodSymbol method, in BodyReporter reporter);

    /// <summary>In place of an operation block action on methods: each method's (or accessor's, or program's) body with its symbol.</summary>
    public static void RegisterMethodBodyAction(CompilationStartAnalysisContext start, MethodBodyAction action)
    {
        start.RegisterSemanticModelAction(model =>
        {
            var reporter = new BodyReporter(in model);
            foreach (var (root, owner) in SourceOperations.Of(model.SemanticModel, model.Options, model.CancellationToken).Blocks)
            {
                if (owner is IMethodSymbol method) action(root, method, in reporter);
            }
        });
    }
}
