using TpCodegen.Collectives;
using TpCodegen.Kernels;
using TpCodegen.Parallel;

namespace TpCodegen;

/// <summary>
/// One rank's vocabulary shard of an <see cref="Embedding"/>: the table rows of the ids in its range
/// (<see cref="VocabularySplit"/>), kept once, packed as <c>E_local^T</c> for the tied head's GEMM; a lookup reads a
/// column of it. Looking up gives a partial sum (zeros for ids another rank owns) that one all-reduce completes.
/// </summary>
public sealed class EmbeddingShard : IDisposable
{
    private readonly PackedWeight _table;

    private EmbeddingShard(string layerName, ProcessGroup group, VocabularySplit split, int features, PackedWeight table)
    {
        LayerName = layerName;
        Group = group;
        Split = split;
        Features = features;
        _table = table;
    }

    public string LayerName { get; }

    /// <summary>The tensor-parallel group the vocabulary is split over.</summary>
    public ProcessGroup Group { get; }

    /// <summary>Which ids this rank owns, and the padding.</summary>
    public VocabularySplit Split { get; }

    public int Vocabulary => Split.Vocabulary;

    public int Features { get; }

    /// <summary>Rank <c>group.Rank</c>'s shard of a dense embedding.</summary>
    public static EmbeddingShard From(Embedding dense, string layerName, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(group);
        var split = VocabularySplit.Of(dense.Vocabulary, group.Size, group.Rank);
        var rows = dense.Weight.AsSpan(split.Start * dense.Features, split.LocalReal * dense.Features);
        return Pack(layerName, group, split, dense.Features, rows);
    }

    /// <summary>Rank <c>group.Rank</c>'s shard read from tensor <c>prefix + layerName + ".weight"</c> (<c>[vocabulary, features]</c>): its rows only.</summary>
    public static EmbeddingShard From(ICheckpointShardSource source, string prefix, Embedding shape, string layerName, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(group);
        var split = VocabularySplit.Of(shape.Vocabulary, group.Size, group.Rank);
        var rows = new float[(long)split.LocalReal * shape.Features];
        if (split.LocalReal > 0)
            source.ReadBlock(prefix + layerName + ".weight", shape.Vocabulary, shape.Features, split.Start, split.LocalReal, 0, shape.Features, rows);
        return Pack(layerName, group, split, shape.Features, rows);
    }

    private static EmbeddingShard Pack(string layerName, ProcessGroup group, VocabularySplit split, int features, ReadOnlySpan<float> rows)
    {
        // [features, local]: the transpose of this rank's rows, padding ids as zero columns.
        var transposed = new float[(long)features * split.Local];
        Gemm.Transpose(rows, split.LocalReal, features, transposed, split.Local);
        return new EmbeddingShard(layerName, group, split, features, Gemm.Pack(transposed, features, split.Local));
    }

    /// <summary>Looks up <paramref name="ids"/> (ids of other ranks read zeros), then all-reduces: Replicate <c>[ids.Length, Features]</c>.</summary>
    public DTensor Forward(ReadOnlySpan<int> ids, ProcessGroup? group = null)
    {
        if (group is not null && !ReferenceEquals(group, Group))
            throw new PlacementException($"Embedding '{LayerName}' is split over {Group} but was asked to look up ids on {group}.");
        var output = StepBuffers.Rent((long)ids.Length * Features);
        for (int t = 0; t < ids.Length; t++)
        {
            int id = ids[t];
            if ((uint)id >= (uint)Vocabulary) throw IdOutOfRange(LayerName, id, t, Vocabulary);
            int local = id - Split.Start;
            if ((uint)local < (uint)Split.LocalReal) _table.CopyColumnTo(local, output.AsSpan(t * Features, Features));
        }
        // The ranks' rows are a partial sum: each id is found on exactly one rank, zeros elsewhere.
        Group.AllReduce(output);
        return DTensor.OverStepBuffer(output, ids.Length, Features, Placement.Replicate, Group);
    }

    /// <summary>The tied head over this rank's ids: Shard(-1) logits <c>[tokens, Split.Local]</c>, padding at -infinity.</summary>
    public DTensor Logits(DTensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Placement is not ReplicatePlacement)
            throw new PlacementException($"The tied head of '{LayerName}' needs the full hidden state (Replicate), got {hidden.Placement}" +
                (hidden.Placement is PartialPlacement ? ": all-reduce it first." : "."));
        if (!ReferenceEquals(hidden.Group, Group))
            throw new PlacementException($"Embedding '{LayerName}' is split over {Group} but the hidden state lives on {hidden.Group}.");
        if (hidden.LocalFeatures != Features)
            throw new ArgumentException($"Tied head of '{LayerName}' [{Features} -> {Vocabulary}] got a hidden state with {hidden.LocalFeatures} features.", nameof(hidden));
        var logits = StepBuffers.Rent((long)hidden.Tokens * Split.Local, zeroed: false);
        Gemm.Multiply(hidden.LocalSpan, _table, logits, hidden.Tokens);
        VocabParallel.MaskPadding(logits, hidden.Tokens, Split);
        return DTensor.OverStepBuffer(logits, hidden.Tokens, Split.Local, Placement.Shard(-1), Group);
    }

    /// <summary>
    /// This rank's rows of the table, <c>[Split.Local, Features]</c> row-major, padding ids as zero rows: a copy, what
    /// training updates (the forward keeps only the packed transpose).
    /// </summary>
    public float[] CopyRows()
    {
        var rows = new float[(long)Split.Local * Features];
        _table.CopyTransposedTo(rows);
        return rows;
    }

    /// <summary>Packs new values of this rank's rows (<c>[Split.Local, Features]</c>, as <see cref="CopyRows"/> gives them) into the forward's copy.</summary>
    public void UpdateRows(ReadOnlySpan<float> rows)
    {
        if (rows.Length != (long)Split.Local * Features)
            throw new ArgumentException($"Embedding '{LayerName}': {rows.Length} floats for this rank's [{Split.Local}, {Features}] rows.", nameof(rows));
        var transposed = new float[(long)Features * Split.Local];
        Gemm.Transpose(rows, Split.Local, Features, transposed);
        _table.Repack(transposed);
    }

    internal static ArgumentOutOfRangeException IdOutOfRange(string layerName, int id, int position, int vocabulary) =>
        new("ids", id, $"Embedding '{layerName}': token {position} has id {id}, outside the vocabulary [0, {vocabulary}).");

    public void Dispose() => _table.Dispose();

    public override string ToString() => $"vocabulary shard of '{LayerName}', rank {Split.Rank} of {Split.Degree}: ids [{Split.Start}, {Split.Start + Split.Local}) of {Split.Padded} padded";
}
