using TpCodegen.Collectives;

namespace TpCodegen;

/// <summary>
/// A token embedding table <c>E: [vocabulary, features]</c>: <see cref="Forward"/> looks ids up, <see cref="Logits"/>
/// multiplies hidden states by <c>E^T</c> (a head tied to the embedding, as GPT-2 and many small Llama-family models
/// do). Marked <c>[TensorParallel(Split.Vocab)]</c>, the generated code gives each rank the rows of its vocabulary
/// range (<see cref="EmbeddingShard"/>); a tied head then uses that same shard.
/// </summary>
/// <remarks>Weights are created on first use (seeded, normal with standard deviation <see cref="InitStd"/>), like <see cref="Linear"/>.</remarks>
public sealed class Embedding
{
    [ThreadStatic]
    private static int t_nextSeed;

    private readonly int _seed;
    private readonly object _initialization = new();
    private float[]? _weight;

    public Embedding(int vocabulary, int features, int? seed = null)
    {
        if (vocabulary < 1) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "An embedding needs at least one id.");
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, "An embedding needs at least one feature.");
        if ((long)vocabulary * features > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(features), $"A [{vocabulary}, {features}] table has more elements than one array holds.");
        Vocabulary = vocabulary;
        Features = features;
        _seed = seed ?? 1_000_003 + ++t_nextSeed;
    }

    /// <summary>Standard deviation of the seeded initial weights (the usual transformer initialisation).</summary>
    public const float InitStd = 0.02f;

    public int Vocabulary { get; }

    public int Features { get; }

    /// <summary>The dense table <c>[Vocabulary, Features]</c>, row-major.</summary>
    public float[] Weight => Shard is null
        ? EnsureWeight()
        : throw new InvalidOperationException($"Weight of a sharded embedding: this instance holds only {Shard}; read the dense module it was cut from.");

    /// <summary>The vocabulary shard this instance runs, once the generated code has attached one.</summary>
    public EmbeddingShard? Shard { get; private set; }

    /// <summary>Replaces the table with a copy of <paramref name="weight"/>.</summary>
    public void SetWeights(ReadOnlySpan<float> weight)
    {
        if (Shard is not null) throw new InvalidOperationException($"SetWeights of a sharded embedding: this instance runs {Shard}.");
        if (weight.Length != (long)Vocabulary * Features)
            throw new ArgumentException($"Embedding [{Vocabulary}, {Features}]: weight holds {weight.Length} floats, expected {(long)Vocabulary * Features}.", nameof(weight));
        lock (_initialization) Volatile.Write(ref _weight, weight.ToArray());
    }

    /// <summary>Makes <see cref="Forward"/> and <see cref="Logits"/> run <paramref name="shard"/>; called by generated code.</summary>
    public void UseShard(EmbeddingShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.Vocabulary != Vocabulary || shard.Features != Features)
            throw new ArgumentException($"Shard of embedding '{shard.LayerName}' is [{shard.Vocabulary}, {shard.Features}] but this embedding is [{Vocabulary}, {Features}].", nameof(shard));
        Shard = shard;
    }

    /// <summary>
    /// The embeddings of <paramref name="ids"/>: Replicate <c>[ids.Length, Features]</c> on <paramref name="group"/>
    /// (default: the shard's group, or a group of one). Sharded: each rank looks up the ids it owns and one all-reduce
    /// sums the ranks' rows.
    /// </summary>
    public DTensor Forward(ReadOnlySpan<int> ids, ProcessGroup? group = null)
    {
        var output = Shard is not null ? Shard.Forward(ids, group) : DenseForward(ids, group);
        if (Training.Tape.Active is not null) Training.EmbeddingOnTape.RecordLookup(this, ids.ToArray(), output);
        return output;
    }

    private DTensor DenseForward(ReadOnlySpan<int> ids, ProcessGroup? group)
    {
        var table = EnsureWeight();
        var output = StepBuffers.Rent((long)ids.Length * Features, zeroed: false);
        for (int t = 0; t < ids.Length; t++)
        {
            int id = ids[t];
            if ((uint)id >= (uint)Vocabulary) throw EmbeddingShard.IdOutOfRange("embedding", id, t, Vocabulary);
            table.AsSpan(id * Features, Features).CopyTo(output.AsSpan(t * Features, Features));
        }
        return DTensor.OverStepBuffer(output, ids.Length, Features, Placement.Replicate, group ?? SingleRankGroup.Instance);
    }

    /// <summary>
    /// A tied head: <c>hidden @ E^T</c>. Dense: Replicate <c>[tokens, Vocabulary]</c>. Sharded: Shard(-1) over the padded
    /// vocabulary, this rank's ids only, padding at -infinity; feed it to <see cref="VocabParallel"/> rather than gathering it.
    /// </summary>
    public DTensor Logits(DTensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var logits = Shard is not null ? Shard.Logits(hidden) : DenseLogits(hidden);
        Training.EmbeddingOnTape.RecordLogits(this, hidden, logits);
        return logits;
    }

    private DTensor DenseLogits(DTensor hidden)
    {
        if (hidden.Placement is not ReplicatePlacement)
            throw new PlacementException($"A tied head needs the full hidden state (Replicate), got {hidden.Placement}" +
                (hidden.Placement is PartialPlacement ? ": all-reduce it first." : "."));
        if (hidden.LocalFeatures != Features)
            throw new ArgumentException($"Tied head [{Features} -> {Vocabulary}] got a hidden state with {hidden.LocalFeatures} features.", nameof(hidden));
        var transposed = new float[(long)Vocabulary * Features];
        Kernels.Gemm.Transpose(EnsureWeight(), Vocabulary, Features, transposed);
        var logits = new float[(long)hidden.Tokens * Vocabulary];
        Kernels.Gemm.Multiply(hidden.LocalSpan, transposed, logits, hidden.Tokens, Features, Vocabulary);
        return DTensor.FromArray(logits, hidden.Tokens, Vocabulary, Placement.Replicate, hidden.Group);
    }

    private float[] EnsureWeight()
    {
        if (Volatile.Read(ref _weight) is null)
        {
            lock (_initialization)
            {
                if (_weight is null)
                {
                    var random = new Random(_seed);
                    var weight = new float[(long)Vocabulary * Features];
                    for (int i = 0; i < weight.Length; i++)
                    {
                        // Box-Muller: a normal draw from two uniforms.
                        double u = 1.0 - random.NextDouble(), v = random.NextDouble();
                        weight[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2 * Math.PI * v)) * InitStd;
                    }
                    Volatile.Write(ref _weight, weight);
                }
            }
        }
        return _weight!;
    }

    public override string ToString() => $"Embedding [{Vocabulary}, {Features}]{(Shard is null ? "" : $", sharded: {Shard}")}";
}
