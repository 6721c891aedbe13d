using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// Summaries of the methods of a compilation, each computed once, the first time a call to it is walked, and kept
/// for the compilation's lifetime (the table is keyed weakly on the compilation, so an edit starts afresh). Only
/// methods whose body is the one that runs are summarised for placements: ordinary, non-virtual, with source in this
/// compilation. For collectives a dispatched call counts when every implementation in the compilation runs one. A call
/// cycle (recursion) reads as no summary.
/// </summary>
internal static class MethodSummaries
{
    /// <summary>How many summaries one may wait on (A calls B calls C ...): deep chains are cut, as cycles are.</summary>
    private const int MaxNesting = 8;

    private static readonly ConditionalWeakTable<Compilation, Table> s_tables = new();

    [ThreadStatic] private static HashSet<IMethodSymbol>? s_inProgress;

    /// <summary>The placement summary of a method that takes or returns a DTensor, or takes a local tensor, or null.</summary>
    public static MethodSummary? Of(IMethodSymbol method, Compilation compilation, KnownTypes types)
    {
        method = method.OriginalDefinition;
        if (!types.IsDTensor(method.ReturnType) && !TakesTensor(method, types)) return null;
        var table = s_tables.GetValue(compilation, _ => new Table());
        if (table.Placements.TryGetValue(method, out var known)) return known.Summary;
        if (SourceBodies.Method(method, compilation) is not { } body) return null;
        var summary = Guarded(method, () =>
        {
            var (events, returned) = MethodFlow.Summarize(body, method, types, compilation);
            return MethodSummary.From(method, events, returned);
        });
        if (summary is null) return null;
        return table.Placements.GetOrAdd(method, new Box<MethodSummary>(summary)).Summary;
    }

    /// <summary>
    /// The collectives a method of the compilation runs, found in its body or, transitively, in the methods it calls:
    /// the first as <paramref name="describe"/> names it for TP0015's message ("'tp.AllReduce'"), and the group all of
    /// them run over (Unknown when they differ or one is not known); null when it runs none.
    /// </summary>
    public static CollectivesRun? CollectiveIn(IMethodSymbol method, Compilation compilation, Func<IInvocationOperation, CollectivesRun?> describe)
    {
        method = method.OriginalDefinition;
        var table = s_tables.GetValue(compilation, _ => new Table());
        if (table.Collectives.TryGetValue(method, out var known)) return known.Summary;
        if (SourceBodies.Method(method, compilation) is not { } body) return Implementations.IsDispatched(method) ? CollectiveInEvery(method, compilation, describe) : null;
        CollectivesRun? found = null;
        bool complete = Guarded(method, () =>
        {
            foreach (var node in body.DescendantsAndSelf())
            {
                // Lambdas are walked too: a body that builds and runs one (Parallel.For, a local function) runs its collectives.
                if (node is not IInvocationOperation call) continue;
                found = CollectivesRun.Both(found, describe(call) ?? CollectiveIn(call.TargetMethod, compilation, describe));
            }
            return new object();
        }) is not null;
        if (!complete) return null;
        return table.Collectives.GetOrAdd(method, new Box<CollectivesRun>(found)).Summary;
    }

    /// <summary>
    /// A dispatched call (an interface's Forward, an abstract module's): the collectives every implementation in the
    /// compilation runs, or null when one of them runs none (or there is none to read).
    /// </summary>
    private static CollectivesRun? CollectiveInEvery(IMethodSymbol method, Compilation compilation, Func<IInvocationOperation, CollectivesRun?> describe)
    {
        CollectivesRun? all = null;
        foreach (var implementation in Implementations.Of(method, compilation))
        {
            if (CollectiveIn(implementation, compilation, describe) is not { } found) return null;
            all = CollectivesRun.Both(all, found);
        }
        return all;
    }

    /// <summary>Cheap first test: a method declared in this compilation (its summary is worth asking for).</summary>
    public static bool MayRunCollective(IMethodSymbol method, Compilation compilation) =>
        method.MethodKind is MethodKind.Ordinary or MethodKind.LocalFunction && SourceBodies.InCompilation(method, compilation);

    private static T? Guarded<T>(IMethodSymbol method, Func<T> compute)
        where T : class
    {
        var inProgress = s_inProgress ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        if (inProgress.Count >= MaxNesting || !inProgress.Add(method)) return null;
        try
        {
            return compute();
        }
        finally
        {
            inProgress.Remove(method);
        }
    }

    private static bool TakesTensor(IMethodSymbol method, KnownTypes types)
    {
        foreach (var parameter in method.Parameters)
        {
            // A local tensor too: a helper that reshapes a shard (SplitHeads(q.Local, tokens, heads)) says so in its summary.
            if (types.IsDTensor(parameter.Type) || KnownTypes.IsLocalTensor(parameter.Type)) return true;
        }
        return false;
    }

    private sealed class Table
    {
        public ConcurrentDictionary<IMethodSymbol, Box<MethodSummary>> Placements { get; } = new(SymbolEqualityComparer.Default);

        public ConcurrentDictionary<IMethodSymbol, Box<CollectivesRun>> Collectives { get; } = new(SymbolEqualityComparer.Default);
    }

    /// <summary>A cached answer, null included.</summary>
    private sealed class Box<T>
        where T : class
    {
        public Box(T? summary) => Summary = summary;

        public T? Summary { get; }
    }
}
