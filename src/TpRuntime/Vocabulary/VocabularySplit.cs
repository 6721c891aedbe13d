using System.Globalization;

namespace TpCodegen;

/// <summary>
/// How a vocabulary is divided over the ranks of a tensor-parallel group (Megatron's VocabParallelEmbedding): padded
/// up to a multiple of the degree so every rank holds the same number of ids, rank r owning ids
/// <c>[r * Local, (r + 1) * Local)</c>. Padding rows of an embedding are zero and padding logits are -infinity, so
/// padding never wins an argmax and never takes probability.
/// </summary>
public readonly record struct VocabularySplit(int Vocabulary, int Degree, int Rank)
{
    /// <summary>The split of <paramref name="vocabulary"/> ids over <paramref name="tp"/> ranks, seen from <paramref name="rank"/>.</summary>
    public static VocabularySplit Of(int vocabulary, int tp, int rank)
    {
        if (vocabulary < 1) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "A vocabulary needs at least one id.");
        if (tp < 1) throw new ArgumentOutOfRangeException(nameof(tp), tp, "The tensor-parallel degree must be at least 1.");
        if ((uint)rank >= (uint)tp) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"Rank must be in [0, {tp}).");
        return new VocabularySplit(vocabulary, tp, rank);
    }

    /// <summary>The vocabulary rounded up to a multiple of the degree.</summary>
    public int Padded => checked((Vocabulary + Degree - 1) / Degree * Degree);

    /// <summary>Ids added as padding (never looked up, never predicted).</summary>
    public int Padding => Padded - Vocabulary;

    /// <summary>Ids each rank owns, padding included.</summary>
    public int Local => Padded / Degree;

    /// <summary>The first id this rank owns.</summary>
    public int Start => Rank * Local;

    /// <summary>Ids of this rank's range that are real (not padding).</summary>
    public int LocalReal => Math.Clamp(Vocabulary - Start, 0, Local);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"vocabulary {Vocabulary} padded to {Padded} (+{Padding}), {Local} ids per rank");
}
