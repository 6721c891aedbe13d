using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// What the walk knows at one point of a method: the value each local holds, and whether the point is reached at all
/// (after a return, a throw, a break, it is not, and such a path adds nothing where paths meet).
/// </summary>
internal sealed class FlowState
{
    // A method holds few locals at once, and the walk clones and joins states at every branch and loop: a small array
    // searched in order costs far less to copy than a dictionary (one allocation instead of three).
    // A clone shares its source's entries until either of them is written (most clones are only read).
    private Entry[] _entries;
    private int _count;
    private bool _shared;

    // Most states made are never written (an unreachable path, a join's seed): their entries come on the first write.
    private static readonly Entry[] s_none = new Entry[0];

    public FlowState()
        : this(s_none, 0, reachable: true)
    {
    }

    private FlowState(Entry[] entries, int count, bool reachable, bool shared = false)
    {
        _entries = entries;
        _count = count;
        Reachable = reachable;
        _shared = shared;
    }

    private struct Entry
    {
        public ILocalSymbol Local;
        public FlowValue Value;
    }

    public bool Reachable { get; private set; }

    public static FlowState Unreachable() => new(s_none, 0, reachable: false);

    public FlowState Clone()
    {
        _shared = true;
        return new FlowState(_entries, _count, Reachable, shared: true);
    }

    /// <summary>Before a write: this state's own copy of the entries, when they are shared.</summary>
    private void Own(int capacity)
    {
        if (!_shared && capacity <= _entries.Length) return;
        var entries = new Entry[System.Math.Max(System.Math.Max(4, capacity), _shared ? _count : _entries.Length * 2)];
        System.Array.Copy(_entries, entries, _count);
        _entries = entries;
        _shared = false;
    }

    public FlowValue Get(ILocalSymbol local)
    {
        int index = IndexOf(local);
        return index >= 0 ? _entries[index].Value : FlowValue.Unknown;
    }

    public void Set(ILocalSymbol local, FlowValue value)
    {
        int index = IndexOf(local);
        if (index >= 0)
        {
            // The same value again (a loop's later passes) changes nothing and needs no copy.
            if (_entries[index].Value.SameAs(value)) return;
            Own(_count);
            _entries[index].Value = value;
            return;
        }
        Own(_count + 1);
        _entries[_count++] = new Entry { Local = local, Value = value };
    }

    public void Forget(ILocalSymbol local)
    {
        int index = IndexOf(local);
        if (index < 0) return;
        Own(_count);
        // Order carries no meaning: the last entry takes the freed place.
        _entries[index] = _entries[--_count];
        _entries[_count] = default;
    }

    public void ForgetAll()
    {
        if (_shared)
        {
            _entries = s_none;
            _shared = false;
        }
        else
        {
            System.Array.Clear(_entries, 0, _count);
        }
        _count = 0;
    }

    public bool IsEmpty => _count == 0;

    /// <summary>Control leaves here (return, throw, break, continue, goto): what follows is not reached this way.</summary>
    public void MarkUnreachable() => Reachable = false;

    /// <summary>Where two paths meet: each local joined (<see cref="FlowValue.Join"/>); a path never taken adds nothing.</summary>
    public static FlowState Join(FlowState a, FlowState b)
    {
        if (!a.Reachable) return b.Clone();
        if (!b.Reachable) return a.Clone();
        var joined = new FlowState(new Entry[System.Math.Max(4, a._count + b._count)], 0, reachable: true);
        for (int i = 0; i < a._count; i++) joined.Set(a._entries[i].Local, FlowValue.Join(a._entries[i].Value, b.Get(a._entries[i].Local)));
        for (int i = 0; i < b._count; i++)
        {
            if (a.IndexOf(b._entries[i].Local) < 0) joined.Set(b._entries[i].Local, FlowValue.Join(FlowValue.Unknown, b._entries[i].Value));
        }
        return joined;
    }

    /// <summary>
    /// Where a path taken only when the group has one rank meets one taken otherwise (<c>if (tp.Size &gt; 1) y =
    /// Ops.AllReduce(y);</c>): with one rank a partial sum is the whole value, so that path's partial sums give way.
    /// </summary>
    public static FlowState JoinOverSingleRank(FlowState multi, FlowState single)
    {
        if (!multi.Reachable || !single.Reachable) return Join(multi, single);
        var joined = Join(multi, single);
        for (int i = 0; i < single._count; i++)
        {
            var entry = single._entries[i];
            if (entry.Value.IsPartial) joined.Set(entry.Local, FlowValue.JoinOverSingleRank(multi.Get(entry.Local), entry.Value));
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
        for (int i = 0; i < _count; i++)
        {
            if (!_entries[i].Value.SameAs(other.Get(_entries[i].Local))) return false;
        }
        for (int i = 0; i < other._count; i++)
        {
            if (IndexOf(other._entries[i].Local) < 0 && !other._entries[i].Value.SameAs(FlowValue.Unknown)) return false;
        }
        return true;
    }

    private int IndexOf(ILocalSymbol local)
    {
        for (int i = 0; i < _count; i++)
        {
            if (SymbolEqualityComparer.Default.Equals(_entries[i].Local, local)) return i;
        }
        return -1;
    }
}
