using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The operations of one tree's blocks, grouped by kind, each with its block's owner, in source order within a kind.
/// Only the kinds some rule has asked for are kept (<see cref="Want"/>): rules ask for invocations, binary operators,
/// assignments, creations and element accesses, a fifth of a body's operations; the rest (references, arguments,
/// conversions, literals) would be listed only to be skipped by every rule. A kind first asked for after a tree was
/// indexed (in the first compilation, while rules are still registering) is found by walking the blocks again.
/// </summary>
internal sealed class OperationIndex
{
    // Process-wide, since the rules are this assembly's and ask for the same kinds in every compilation: each kind
    // asked for gets a slot, so that a tree's index holds one list per wanted kind rather than one per kind there is.
    private static readonly object s_gate = new();
    private static int[] s_slots = System.Array.Empty<int>();
    private static int s_slotCount;

    private readonly ImmutableArray<(IOperation Root, ISymbol Owner)> _blocks;
    private readonly int[] _slots;
    private readonly (IOperation Operation, ISymbol Owner)[][] _bySlot;

    /// <summary>Marks <paramref name="kind"/> as asked for by a rule, so that trees indexed from now on list it.</summary>
    public static void Want(OperationKind kind)
    {
        int index = (int)kind;
        if (index < 0 || (index < Volatile.Read(ref s_slots).Length && s_slots[index] >= 0)) return;
        lock (s_gate)
        {
            var slots = s_slots;
            if (index < slots.Length && slots[index] >= 0) return;
            var grown = new int[System.Math.Max(slots.Length, index + 1)];
            for (int i = 0; i < grown.Length; i++) grown[i] = i < slots.Length ? slots[i] : -1;
            grown[index] = s_slotCount++;
            // Published whole: a tree being indexed reads either the old table or the new one.
            Volatile.Write(ref s_slots, grown);
        }
    }

    public OperationIndex(ImmutableArray<(IOperation Root, ISymbol Owner)> blocks)
    {
        _blocks = blocks;
        _slots = Volatile.Read(ref s_slots);
        int slotCount = 0;
        foreach (int slot in _slots) slotCount = System.Math.Max(slotCount, slot + 1);
        // Counted first, then filled to the exact size: no doubling copies.
        var counts = new int[slotCount];
        var pending = new Stack<IOperation.OperationList.Enumerator>();
        foreach (var (root, _) in blocks)
        {
            Walk(root, operation =>
            {
                if (SlotOf(operation.Kind) is var slot and >= 0) counts[slot]++;
            }, pending);
        }
        _bySlot = new (IOperation, ISymbol)[slotCount][];
        for (int slot = 0; slot < slotCount; slot++) _bySlot[slot] = counts[slot] == 0 ? System.Array.Empty<(IOperation, ISymbol)>() : new (IOperation, ISymbol)[counts[slot]];
        var filled = new int[slotCount];
        foreach (var (root, owner) in blocks)
        {
            Walk(root, operation =>
            {
                if (SlotOf(operation.Kind) is var slot and >= 0) _bySlot[slot][filled[slot]++] = (operation, owner);
            }, pending);
        }
    }

    private int SlotOf(OperationKind kind) => (int)kind < _slots.Length ? _slots[(int)kind] : -1;

    /// <summary>Every operation of <paramref name="kind"/> in the tree's blocks (lambdas and local functions included).</summary>
    public (IOperation Operation, ISymbol Owner)[] OfKind(OperationKind kind)
    {
        return SlotOf(kind) is var slot and >= 0 ? _bySlot[slot] : Find(kind);
    }

    // Apart from OfKind: the lambda's capture of the kind would otherwise be allocated at every call.
    private (IOperation Operation, ISymbol Owner)[] Find(OperationKind kind)
    {
        var found = new List<(IOperation, ISymbol)>();
        var pending = new Stack<IOperation.OperationList.Enumerator>();
        foreach (var (root, owner) in _blocks)
        {
            Walk(root, operation =>
            {
                if (operation.Kind == kind) found.Add((operation, owner));
            }, pending);
        }
        return found.ToArray();
    }

    // Pre-order, as DescendantsAndSelf gives them, through ChildOperations' struct enumerators on one explicit stack:
    // no enumerator object per node, and no recursion for a generated expression thousands of operands deep.
    private static void Walk(IOperation root, System.Action<IOperation> visit, Stack<IOperation.OperationList.Enumerator> pending)
    {
        visit(root);
        pending.Push(root.ChildOperations.GetEnumerator());
        while (pending.Count > 0)
        {
            var siblings = pending.Pop();
            if (!siblings.MoveNext()) continue;
            var child = siblings.Current;
            pending.Push(siblings);
            visit(child);
            pending.Push(child.ChildOperations.GetEnumerator());
        }
    }
}
