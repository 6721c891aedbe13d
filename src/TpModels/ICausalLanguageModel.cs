using TpCodegen.Collectives;

namespace TpCodegen.Models;

/// <summary>A decoder that turns token ids into next-token logits, dense or sharded: what generation drives.</summary>
public interface ICausalLanguageModel
{
    /// <summary>The architecture, as config.json names it.</summary>
    string Architecture { get; }

    /// <summary>Real vocabulary size (without tensor-parallel padding).</summary>
    int Vocabulary { get; }

    /// <summary>Longest sequence the model's positions allow.</summary>
    int MaxPositions { get; }

    /// <summary>Ids that end a generation.</summary>
    IReadOnlyList<int> EosTokens { get; }

    /// <summary>The tensor-parallel group the model runs on (a group of one when dense).</summary>
    ProcessGroup Group { get; }

    /// <summary>
    /// Logits of the rows of <paramref name="batch"/> (<paramref name="ids"/>, one per row) that <paramref name="rows"/> asks
    /// for: Shard(-1) over the padded vocabulary when sharded, Replicate when dense. With a <paramref name="cache"/>, the rows
    /// continue what it holds.
    /// </summary>
    DTensor Forward(ReadOnlySpan<int> ids, SequenceBatch batch, DecoderCache? cache, LogitRows rows = LogitRows.All);

    /// <summary>A KV cache for this rank's heads: <paramref name="slots"/> sequences of up to <paramref name="capacity"/> positions.</summary>
    DecoderCache CreateCache(int slots, int capacity);
}
