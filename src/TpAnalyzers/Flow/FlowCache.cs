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
        // Asked by every placement rule: the lookup first, so that the callback (a closure) is made once per body.
        if (s_events.TryGetValue(blocks[0], out var known)) return known.Events;
        // Racing threads may both compute; the walk is pure, so either result is the same.
        return s_events.GetValue(blocks[0], _ => new Entry(MethodFlow.Analyze(blocks, method, types, compilation))).Events;
    }

    private sealed class Entry
    {
        public Entry(ImmutableArray<FlowEvent> events) => Events = events;

        public ImmutableArray<FlowEvent> Events { get; }
    }
}
