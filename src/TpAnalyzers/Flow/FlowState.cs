using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// What the walk knows at one point of a method: the value each local holds, and whether the point is reached at all
/// (after a return, a throw, a break, it is not, and such a path adds nothing where paths meet).
/// </summary>
internal sealed class FlowState
{
    private readonly Dictionary<ILocalSymbol, FlowValue> _locals;

    public FlowState()
        : this(new Dictionary<ILocalSymbol, FlowValue>(SymbolEqualityComparer.Default), reachable: true)
    {
    }

    private FlowState(Dictionary<ILocalSymbol, FlowValue> locals, bool reachable)
    {
        _locals = locals;
        Reachable = reachable;
    }

    public bool Reachable { get; private set; }

    public static FlowState Unreachable() => new(new Dictionary<ILocalSymbol, FlowValue>(SymbolEqualityComparer.Default), reachable: false);

    public FlowState Clone() => new(new Dictionary<ILocalSymbol, FlowValue>(_locals, SymbolEqualityComparer.Default), Reachable);

    public FlowValue Get(ILocalSymbol local) => _locals.TryGetValue(local, out var value) ? value : FlowValue.Unknown;

    public void Set(ILocalSymbol local, FlowValue value) => _locals[local] = value;

    public void Forget(ILocalSymbol local) => _locals.Remove(local);

    public void ForgetAll() => _locals.Clear();

    public bool IsEmpty => _locals.Count == 0;

    /// <summary>Control leaves here (return, throw, break, continue, goto): what follows is not reached this way.</summary>
    public void MarkUnreachable() => Reachable = false;

    /// <summary>Where two paths meet: each local joined (<see cref="FlowValue.Join"/>); a path never taken adds nothing.</summary>
    public static FlowState Join(FlowState a, FlowState b)
    {
        if (!a.Reachable) return b.Clone();
        if (!b.Reachable) return a.Clone();
        var joined = new Dictionary<ILocalSymbol, FlowValue>(SymbolEqualityComparer.Default);
        foreach (var pair in a._locals) joined[pair.Key] = FlowValue.Join(pair.Value, b.Get(pair.Key));
        foreach (var pair in b._locals)
        {
            if (!a._locals.ContainsKey(pair.Key)) joined[pair.Key] = FlowValue.Join(FlowValue.Unknown, pair.Value);
        }
        return new FlowState(joined, reachable: true);
    }

    /// <summary>
    /// Where a path taken only when the group has one rank meets one taken otherwise (<c>if (tp.Size &gt; 1) y =
    /// Ops.AllReduce(y);</c>): with one rank a partial sum is the whole value, so that path's partial sums give way.
    /// </summary>
    public static FlowState JoinOverSingleRank(FlowState multi, FlowState single)
    {
        if (!multi.Reachable || !single.Reachable) return Join(multi, single);
        var joined = Join(multi, single);
        foreach (var pair in single._locals)
        {
            if (pair.Value.IsPartial) joined._locals[pair.Key] = FlowValue.JoinOverSingleRank(multi.Get(pair.Key), pair.Value);
        }
        return joined;
    }

    public static FlowState Join(IEnumerable<FlowState> states)
    {
        var result = Unreachable();
        foreach (var state in states) result = Join(result, state);
        return result;
    }

    /// <summary>Whether two states say the same thing: a loop's fixed point is reached when its head stops changing.</summary>
    public bool SameAs(FlowState other)
    {
        if (Reachable != other.Reachable) return false;
        foreach (var pair in _locals)
        {
            if (!pair.Value.SameAs(other.Get(pair.Key))) return false;
        }
        foreach (var pair in other._locals)
        {
            if (!_locals.ContainsKey(pair.Key) && !pair.Value.SameAs(FlowValue.Unknown)) return false;
        }
        return true;
    }
}
