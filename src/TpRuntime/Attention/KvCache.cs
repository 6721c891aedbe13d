namespace TpCodegen;

/// <summary>
/// One attention layer's keys and values on one rank, for up to <see cref="Slots"/> sequences of up to
/// <see cref="Capacity"/> positions: only this rank's key/value heads (<c>[slots, capacity, localKvHeads * headDim]</c>),
/// allocated once and reused, so a decode step allocates nothing for it.
/// </summary>
public sealed class KvCache
{
    private readonly int[] _lengths;

    public KvCache(int slots, int capacity, int kvHeads, int headDim)
    {
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), slots, "A KV cache needs at least one slot.");
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A KV cache needs room for at least one position.");
        if (kvHeads < 1 || headDim < 1) throw new ArgumentOutOfRangeException(nameof(kvHeads), $"A KV cache of {kvHeads} heads of {headDim} features is empty.");
        long floats = (long)slots * capacity * kvHeads * headDim;
        if (floats > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(capacity), $"A KV cache of {floats} floats per tensor is too large for one array.");
        Slots = slots;
        Capacity = capacity;
        KvHeads = kvHeads;
        HeadDim = headDim;
        Keys = new float[floats];
        Values = new float[floats];
        _lengths = new int[slots];
    }

    public int Slots { get; }

    public int Capacity { get; }

    /// <summary>Key/value heads this rank holds.</summary>
    public int KvHeads { get; }

    public int HeadDim { get; }

    /// <summary>Floats of one position: all local key (or value) heads.</summary>
    public int RowWidth => KvHeads * HeadDim;

    internal float[] Keys { get; }

    internal float[] Values { get; }

    /// <summary>Positions filled in <paramref name="slot"/>.</summary>
    public int Length(int slot) => _lengths[slot];

    /// <summary>Bytes the keys and values of one position take (both tensors).</summary>
    public long BytesPerPosition => 2L * RowWidth * sizeof(float);

    /// <summary>Forgets <paramref name="slot"/>'s positions (a new sequence starts there); nothing is freed.</summary>
    public void Reset(int slot) => _lengths[slot] = 0;

    /// <summary>Forgets every slot.</summary>
    public void Clear() => Array.Clear(_lengths);

    /// <summary>Index of position <paramref name="position"/> of <paramref name="slot"/> in the key/value arrays.</summary>
    internal long Offset(int slot, int position) => ((long)slot * Capacity + position) * RowWidth;

    /// <summary>Checks that <paramref name="span"/> fits and continues what the slot holds; then marks it filled.</summary>
    internal void Claim(SequenceSpan span, string layer)
    {
        if ((uint)span.Slot >= (uint)Slots)
            throw new ArgumentOutOfRangeException(nameof(span), $"Attention '{layer}': sequence slot {span.Slot} is outside the KV cache's {Slots} slots.");
        if (span.Start > _lengths[span.Slot])
            throw new ArgumentException(
                $"Attention '{layer}': slot {span.Slot} holds {_lengths[span.Slot]} positions, so the next token is at position {_lengths[span.Slot]}, not {span.Start}.", nameof(span));
        if ((long)span.Start + span.Length > Capacity)
            throw new ArgumentOutOfRangeException(nameof(span),
                $"Attention '{layer}': positions up to {(long)span.Start + span.Length} do not fit the KV cache's capacity of {Capacity}.");
        _lengths[span.Slot] = span.Start + span.Length;
    }
}
