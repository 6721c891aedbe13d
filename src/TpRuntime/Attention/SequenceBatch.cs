namespace TpCodegen;

/// <summary>
/// A run of consecutive activation rows that belong to one sequence: its KV-cache <see cref="Slot"/>, the position of its
/// first row (<see cref="Start"/>) and how many rows it has.
/// </summary>
public readonly record struct SequenceSpan(int Slot, int Start, int Length);

/// <summary>
/// Which sequence and position each row of a <c>[tokens, features]</c> activation is: a prefill of several sequences
/// (each from position 0), one decode step (one row per sequence at its next position), or any mix.
/// </summary>
public sealed class SequenceBatch
{
    private SequenceBatch(SequenceSpan[] sequences)
    {
        var slots = new HashSet<int>();
        long tokens = 0;
        foreach (var span in sequences)
        {
            if (span.Slot < 0 || span.Start < 0 || span.Length < 0)
                throw new ArgumentOutOfRangeException(nameof(sequences), $"Sequence {span} has a negative slot, start or length.");
            if (!slots.Add(span.Slot))
                throw new ArgumentException($"Two sequences of one batch use KV-cache slot {span.Slot}.", nameof(sequences));
            tokens += span.Length;
        }
        if (tokens > int.MaxValue) throw new ArgumentException($"A batch of {tokens} tokens is too large.", nameof(sequences));
        Sequences = sequences;
        Tokens = (int)tokens;
        Positions = new int[Tokens];
        int row = 0;
        foreach (var span in sequences)
            for (int i = 0; i < span.Length; i++) Positions[row++] = checked(span.Start + i);
    }

    /// <summary>The sequences, in row order.</summary>
    public IReadOnlyList<SequenceSpan> Sequences { get; }

    /// <summary>Rows in all.</summary>
    public int Tokens { get; }

    /// <summary>The position of every row.</summary>
    public int[] Positions { get; }

    /// <summary>Sequences of the given lengths, each from position 0, in slots 0, 1, ...</summary>
    public static SequenceBatch Prefill(params int[] lengths) =>
        new(lengths.Select((length, slot) => new SequenceSpan(slot, 0, length)).ToArray());

    /// <summary>One row per sequence: slot <c>slots[i]</c> at position <c>positions[i]</c>.</summary>
    public static SequenceBatch Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> positions)
    {
        if (slots.Length != positions.Length)
            throw new ArgumentException($"Decode needs one position per slot: {slots.Length} slots, {positions.Length} positions.", nameof(positions));
        var spans = new SequenceSpan[slots.Length];
        for (int i = 0; i < spans.Length; i++) spans[i] = new SequenceSpan(slots[i], positions[i], 1);
        return new SequenceBatch(spans);
    }

    /// <summary>Any sequences, in row order.</summary>
    public static SequenceBatch Of(params SequenceSpan[] sequences) => new(sequences.ToArray());

    public override string ToString() => $"{Sequences.Count} sequences, {Tokens} tokens";
}
