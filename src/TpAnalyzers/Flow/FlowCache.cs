using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// One walk per method body, shared by every placement rule: each tree's bodies are read once and handed to every
/// analyzer (Toolkit/SourceOperations), so the first rule to ask computes the events and the others reuse them. Keys are weak, so nothing
/// outlives the compilation. The methods it calls are summarised once per compilation (<see cref="MethodSummaries"/>).
/// </summary>
internal static class FlowCache
{
    private static readonly ConditionalWeakTable<IOperation, Entry> s_events = new();

    public static ImmutableArray<FlowEvent> Get(ImmutableArray<IOperation> blocks, IMethodSymbol method, KnownTypes types, Compilation compilation)
    {
        if (blocks.IsDefaultOrEmpty) return ImmutableArray<FlowEvent>.Empty;
        // Asked by every placement rule: the lookup first, and the callback, a closure over the arguments, made in a
        // method of its own (a lambda's captured parameters are allocated on entry to the method that declares them).
        return s_events.TryGetValue(blocks[0], out var known) ? known.Events : Walk(blocks, method, types, compilation);
    }

    /// <summary>The events of one body (the usual case: a method's block); the array is made only when it is walked.</summary>
    public static ImmutableArray<FlowEvent> Get(IOperation body, IMethodSymbol method, KnownTypes types, Compilation compilation) =>
        s_events.TryGetValue(body, out var known) ? known.Events : Walk(ImmutableArray.Create(body), method, types, compilation);

    // Racing threads may both walk; the walk is pure, so either result is the same.
    private static ImmutableArray<FlowEvent> Walk(ImmutableArray<IOperation> blocks, IMethodSymbol method, KnownTypes types, Compilation compilation) =>
        s_events.GetValue(blocks[0], _ => new Entry(MethodFlow.Analyze(blocks, method, types, compilation))).Events;

    private sealed class Entry
    {
        public Entry(ImmutableArray<FlowEvent> events) => Events = events;

        public ImmutableArray<FlowEvent> Events { get; }
    }
}
