using System.Numerics.Tensors;

namespace TpCodegen;

/// <summary>
/// Causal scaled-dot-product attention over the heads this rank holds. Queries, keys and values come from column layers
/// split by whole heads (Shard(-1)), or from dense layers (Replicate); grouped-query attention maps query head h to key/value
/// head <c>h / (heads / kvHeads)</c>, which holds on every rank because the column split gives a rank the query heads of
/// its key/value heads (or replicates a key/value head to the ranks of its group). No collective: the output keeps the
/// queries' placement and feeds the row-split output projection.
/// </summary>
public static class CausalAttention
{
    /// <summary>
    /// Attention of <paramref name="batch"/>'s rows. With a <paramref name="cache"/>, the keys and values of these rows are
    /// appended to their sequences' slots and each row attends to every cached position up to its own; without one, each
    /// row attends to the rows of its own sequence up to its own position.
    /// </summary>
    /// <param name="headDim">Features per head.</param>
    /// <param name="rope">Rotary embeddings applied to queries and keys (Llama), or null (GPT-2 adds learned positions earlier).</param>
    /// <param name="slidingWindow">Attend only to the last this many positions (Mistral); 0 for all.</param>
    /// <param name="name">The layer, for messages.</param>
    // Hot from the first token of a generation: compiled optimised at once, not through tiered JIT's slow first tier.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static DTensor Forward(DTensor q, DTensor k, DTensor v, int headDim, SequenceBatch batch,
        KvCache? cache = null, RotaryEmbedding? rope = null, int slidingWindow = 0, string name = "attention")
    {
        var shape = Check(q, k, v, headDim, batch, cache, name);
        Training.AttentionOnTape.RequireNoCache(cache, name);
        var queries = StepBuffers.Rent(q.LocalSpan.Length, zeroed: false);
        var keys = StepBuffers.Rent(k.LocalSpan.Length, zeroed: false);
        q.LocalSpan.CopyTo(queries);
        k.LocalSpan.CopyTo(keys);
        if (rope is not null)
        {
            for (int t = 0; t < batch.Tokens; t++)
            {
                rope.Apply(queries.AsSpan(t * shape.QueryWidth, shape.QueryWidth), batch.Positions[t]);
                rope.Apply(keys.AsSpan(t * shape.KvWidth, shape.KvWidth), batch.Positions[t]);
            }
        }
        var output = StepBuffers.Rent(queries.Length);
        // With a cache, as long as the cache (not this step's key count): a length that grew by one every decode step would
        // miss the step pool each time and allocate.
        var scores = StepBuffers.Rent(cache?.Capacity ?? MaxKeys(batch, cache), zeroed: false);
        float scale = 1f / MathF.Sqrt(headDim);
        int row0 = 0;
        // Indexed, not foreach: the list's enumerator would be an allocation per layer per decode step.
        for (int sequence = 0; sequence < batch.Sequences.Count; sequence++)
        {
            var span = batch.Sequences[sequence];
            // Where this sequence's keys live: the cache slot (after appending these rows), or these rows themselves.
            ReadOnlySpan<float> keySource, valueSource;
            long keyBase;
            int firstKey;
            if (cache is not null)
            {
                cache.Claim(span, name);
                long offset = cache.Offset(span.Slot, span.Start);
                keys.AsSpan(row0 * shape.KvWidth, span.Length * shape.KvWidth).CopyTo(cache.Keys.AsSpan().Slice((int)offset));
                v.LocalSpan.Slice(row0 * shape.KvWidth, span.Length * shape.KvWidth).CopyTo(cache.Values.AsSpan().Slice((int)offset));
                keySource = cache.Keys;
                valueSource = cache.Values;
                keyBase = cache.Offset(span.Slot, 0);
                firstKey = 0;
            }
            else
            {
                keySource = keys;
                valueSource = v.LocalSpan;
                keyBase = (long)(row0 - span.Start) * shape.KvWidth; // position p of this sequence is row row0 + p - Start
                firstKey = span.Start;
            }
            for (int i = 0; i < span.Length; i++)
            {
                int row = row0 + i, position = span.Start + i;
                int lo = slidingWindow > 0 ? Math.Max(firstKey, position - slidingWindow + 1) : firstKey;
                int count = position - lo + 1;
                for (int h = 0; h < shape.Heads; h++)
                {
                    int kvHead = h / shape.Group;
                    var query = queries.AsSpan(row * shape.QueryWidth + h * headDim, headDim);
                    var rowScores = scores.AsSpan(0, count);
                    int first = (int)(keyBase + (long)lo * shape.KvWidth) + kvHead * headDim;
                    HeadVectors.Dots(query, keySource, first, shape.KvWidth, rowScores, scale);
                    Softmax(rowScores);
                    HeadVectors.AddWeighted(valueSource, first, shape.KvWidth, rowScores, output.AsSpan(row * shape.QueryWidth + h * headDim, headDim));
                }
            }
            row0 += span.Length;
        }
        var result = DTensor.OverStepBuffer(output, q.Tokens, q.LocalFeatures, q.Placement, q.Group);
        Training.AttentionOnTape.Record(q, k, v, headDim, batch, rope, slidingWindow, result);
        return result;
    }

    private readonly record struct Shape(int Heads, int KvHeads, int Group, int QueryWidth, int KvWidth);

    private static Shape Check(DTensor q, DTensor k, DTensor v, int headDim, SequenceBatch batch, KvCache? cache, string name)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(batch);
        if (headDim < 1) throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"Attention '{name}': the head dimension must be positive.");
        // One call per operand rather than a loop over a tuple array: this runs per layer per decode step, which allocates nothing.
        CheckOperand(q, "queries", q, headDim, batch, name);
        CheckOperand(k, "keys", q, headDim, batch, name);
        CheckOperand(v, "values", q, headDim, batch, name);
        if (k.LocalFeatures != v.LocalFeatures)
            throw new ArgumentException($"Attention '{name}': keys hold {k.LocalFeatures} features but values {v.LocalFeatures}.");
        int heads = q.LocalFeatures / headDim, kvHeads = k.LocalFeatures / headDim;
        if (kvHeads == 0 || heads % kvHeads != 0)
            throw new ArgumentException(
                $"Attention '{name}': this rank holds {heads} query heads and {kvHeads} key/value heads; grouped-query attention needs a whole number of query heads per key/value head " +
                "(split Q by heads and K, V by key/value heads with FeatureLayout.Heads / KeyValueHeads).");
        if (cache is not null && (cache.KvHeads != kvHeads || cache.HeadDim != headDim))
            throw new ArgumentException($"Attention '{name}': the KV cache holds {cache.KvHeads} heads of {cache.HeadDim} but this rank computes {kvHeads} of {headDim}.");
        return new Shape(heads, kvHeads, heads / kvHeads, q.LocalFeatures, k.LocalFeatures);
    }

    private static void CheckOperand(DTensor tensor, string what, DTensor q, int headDim, SequenceBatch batch, string name)
    {
        if (tensor.Placement is not (ReplicatePlacement or ShardPlacement { Dim: -1 }))
            throw new PlacementException(
                $"Attention '{name}': the {what} are {tensor.Placement}; attention needs whole heads, from a column layer (Shard(-1)) or a dense one (Replicate)" +
                (tensor.Placement is PartialPlacement ? ": all-reduce the partial sum first." : "."));
        if (tensor.Placement != q.Placement || !ReferenceEquals(tensor.Group, q.Group))
            throw new PlacementException($"Attention '{name}': the {what} are {tensor.Placement} on {tensor.Group} but the queries {q.Placement} on {q.Group}.");
        if (tensor.Tokens != batch.Tokens)
            throw new ArgumentException($"Attention '{name}': the {what} have {tensor.Tokens} rows but the batch {batch.Tokens} tokens.");
        if (tensor.LocalFeatures % headDim != 0)
            throw new ArgumentException($"Attention '{name}': the {what} hold {tensor.LocalFeatures} features on this rank, not a whole number of {headDim}-feature heads.");
    }

    private static int MaxKeys(SequenceBatch batch, KvCache? cache)
    {
        int max = 0;
        for (int s = 0; s < batch.Sequences.Count; s++)
        {
            var span = batch.Sequences[s];
            max = Math.Max(max, cache is null ? span.Length : span.Start + span.Length);
        }
        return max;
    }

    // Softmax in float32 with the row's maximum subtracted first, as PyTorch computes it.
    internal static void Softmax(Span<float> scores)
    {
        if (scores.IsEmpty) return;
        float max = TensorPrimitives.Max(scores);
        TensorPrimitives.Subtract(scores, max, scores);
        TensorPrimitives.Exp(scores, scores);
        TensorPrimitives.Divide(scores, TensorPrimitives.Sum(scores), scores);
    }
}
