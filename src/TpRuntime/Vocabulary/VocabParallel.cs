namespace TpCodegen;

/// <summary>
/// Greedy and sampled token choice over logits split by vocabulary (Shard(-1) from a vocab-parallel head), without
/// gathering them: each rank reduces its own ids, and the ranks exchange one (value, id) pair per token. Replicated
/// (dense) logits take the same path on one rank. Padding ids carry -infinity and never win.
/// </summary>
public static class VocabParallel
{
    /// <summary>Sets this rank's padding columns of <c>[tokens, split.Local]</c> logits to -infinity.</summary>
    public static void MaskPadding(Span<float> logits, int tokens, VocabularySplit split)
    {
        int real = split.LocalReal, local = split.Local;
        if (real == local) return;
        for (int t = 0; t < tokens; t++) logits.Slice(t * local + real, local - real).Fill(float.NegativeInfinity);
    }

    /// <summary>The id of the largest logit of each token (the lowest id on a tie), the same on every rank.</summary>
    public static int[] Argmax(DTensor logits) => Choose(logits, options: null, noiseKeys: default);

    /// <summary>
    /// One id per token, drawn from <c>softmax(logits / temperature)</c> restricted to the top-k ids and the top-p mass
    /// (applied in that order, as Hugging Face's warpers do), by the Gumbel-max trick with noise that depends only on
    /// (seed, <paramref name="noiseKeys"/>[token], id): the same draw at every degree, and on every rank. Greedy when the
    /// temperature is 0.
    /// </summary>
    /// <param name="noiseKeys">One key per token row, e.g. the sequence's index and the position being generated.</param>
    public static int[] Sample(DTensor logits, SamplingOptions options, ReadOnlySpan<long> noiseKeys)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.IsGreedy) return Argmax(logits);
        if (noiseKeys.Length != logits.Tokens)
            throw new ArgumentException($"Sample needs one noise key per token: {logits.Tokens} tokens, {noiseKeys.Length} keys.", nameof(noiseKeys));
        return Choose(logits, options, noiseKeys);
    }

    private static int[] Choose(DTensor logits, SamplingOptions? options, ReadOnlySpan<long> noiseKeys)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var (offset, vocabulary) = Layout(logits);
        int tokens = logits.Tokens, local = logits.LocalFeatures;
        var scores = StepBuffers.Rent(logits.LocalSpan.Length, zeroed: false);
        logits.LocalSpan.CopyTo(scores);
        if (options is not null)
        {
            float inverse = 1f / options.Temperature;
            for (int i = 0; i < scores.Length; i++) scores[i] *= inverse;
            if (options.TopK > 0 && options.TopK < vocabulary) ApplyTopK(scores, tokens, local, options.TopK, logits.Group);
            if (options.TopP < 1f) ApplyTopP(scores, tokens, local, options.TopP, logits.Group);
            for (int t = 0; t < tokens; t++)
            {
                var row = scores.AsSpan(t * local, local);
                for (int j = 0; j < local; j++)
                    if (!float.IsNegativeInfinity(row[j])) row[j] += Gumbel(options.Seed, noiseKeys[t], offset + j);
            }
        }
        return ArgmaxAcrossRanks(scores, tokens, local, offset, logits.Group);
    }

    // Replicate: the whole vocabulary here. Shard(-1): rank r holds ids [r * local, (r + 1) * local).
    private static (int Offset, int Vocabulary) Layout(DTensor logits) => logits.Placement switch
    {
        ReplicatePlacement => (0, logits.LocalFeatures),
        ShardPlacement { Dim: -1 } => (logits.Group.Rank * logits.LocalFeatures, logits.Features),
        _ => throw new PlacementException(
            $"Choosing tokens needs logits that are Replicate or split by vocabulary (Shard(-1)); got {logits.Placement}: all-reduce a partial sum first."),
    };

    // Hot from the first token of a generation: compiled optimised at once, not through tiered JIT's slow first tier.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int[] ArgmaxAcrossRanks(float[] scores, int tokens, int local, int offset, Collectives.ProcessGroup group)
    {
        // (value, id) per token; the id travels as the float with its bits, so any id is exact (a gather copies bits).
        var mine = StepBuffers.Rent(tokens * 2, zeroed: false);
        for (int t = 0; t < tokens; t++)
        {
            var row = scores.AsSpan(t * local, local);
            int best = 0;
            for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
            mine[2 * t] = row.Length == 0 ? float.NegativeInfinity : row[best];
            mine[2 * t + 1] = BitConverter.Int32BitsToSingle(offset + best);
        }
        var all = mine;
        if (group.Size > 1)
        {
            all = StepBuffers.Rent((long)mine.Length * group.Size, zeroed: false);
            group.AllGather(mine, all);
        }
        var ids = new int[tokens];
        for (int t = 0; t < tokens; t++)
        {
            float bestValue = float.NegativeInfinity;
            int bestId = int.MaxValue;
            for (int r = 0; r < group.Size; r++)
            {
                float value = all[r * mine.Length + 2 * t];
                int id = BitConverter.SingleToInt32Bits(all[r * mine.Length + 2 * t + 1]);
                if (value > bestValue || (value == bestValue && id < bestId)) (bestValue, bestId) = (value, id);
            }
            ids[t] = bestId == int.MaxValue ? 0 : bestId;
        }
        return ids;
    }

    // Keeps the ids whose score is at least the k-th largest of the whole vocabulary: each rank offers its own k largest,
    // one gather of k values per token and rank finds the threshold.
    private static void ApplyTopK(float[] scores, int tokens, int local, int k, Collectives.ProcessGroup group)
    {
        var mine = new float[tokens * k];
        mine.AsSpan().Fill(float.NegativeInfinity);
        var sorted = new float[local];
        for (int t = 0; t < tokens; t++)
        {
            scores.AsSpan(t * local, local).CopyTo(sorted);
            Array.Sort(sorted);
            int take = Math.Min(k, local);
            for (int i = 0; i < take; i++) mine[t * k + i] = sorted[local - 1 - i];
        }
        var all = mine;
        if (group.Size > 1)
        {
            all = new float[mine.Length * group.Size];
            group.AllGather(mine, all);
        }
        var candidates = new float[k * group.Size];
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < group.Size; r++) all.AsSpan(r * mine.Length + t * k, k).CopyTo(candidates.AsSpan(r * k));
            Array.Sort(candidates);
            float threshold = candidates[^k];
            var row = scores.AsSpan(t * local, local);
            for (int j = 0; j < row.Length; j++) if (row[j] < threshold) row[j] = float.NegativeInfinity;
        }
    }

    // Keeps the smallest set of highest-scoring ids whose probability reaches p: finds, per token, the highest threshold
    // whose mass (ids at or above it) is at least p by bisection, one all-reduce of a value per token per step.
    private static void ApplyTopP(float[] scores, int tokens, int local, float p, Collectives.ProcessGroup group)
    {
        var max = new float[tokens];
        for (int t = 0; t < tokens; t++)
        {
            float m = float.NegativeInfinity;
            foreach (float s in scores.AsSpan(t * local, local)) m = Math.Max(m, s);
            max[t] = m;
        }
        group.AllReduce(max, ReduceOp.Max);
        var total = MassAtOrAbove(scores, tokens, local, max, thresholds: null, group);
        var low = new float[tokens];
        var high = (float[])max.Clone();
        for (int t = 0; t < tokens; t++) low[t] = max[t] - 88f; // exp(-88) is below float's resolution of a mass
        var middle = new float[tokens];
        for (int step = 0; step < 32; step++)
        {
            for (int t = 0; t < tokens; t++) middle[t] = 0.5f * (low[t] + high[t]);
            var mass = MassAtOrAbove(scores, tokens, local, max, middle, group);
            for (int t = 0; t < tokens; t++)
            {
                if (mass[t] >= p * total[t]) low[t] = middle[t];
                else high[t] = middle[t];
            }
        }
        for (int t = 0; t < tokens; t++)
        {
            var row = scores.AsSpan(t * local, local);
            float threshold = Math.Min(low[t], max[t]); // the best id always stays
            for (int j = 0; j < row.Length; j++) if (row[j] < threshold) row[j] = float.NegativeInfinity;
        }
    }

    private static float[] MassAtOrAbove(float[] scores, int tokens, int local, float[] max, float[]? thresholds, Collectives.ProcessGroup group)
    {
        var mass = new float[tokens];
        for (int t = 0; t < tokens; t++)
        {
            double sum = 0;
            float threshold = thresholds?[t] ?? float.NegativeInfinity;
            foreach (float s in scores.AsSpan(t * local, local))
                if (s >= threshold && !float.IsNegativeInfinity(s)) sum += Math.Exp(s - max[t]);
            mass[t] = (float)sum;
        }
        group.AllReduce(mass);
        return mass;
    }

    // Standard Gumbel noise from a counter-based hash of (seed, key, id): no state, the same on every rank and degree.
    private static float Gumbel(ulong seed, long key, int id)
    {
        ulong bits = Mix(seed ^ Mix((ulong)key * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)id));
        double u = ((bits >> 11) + 0.5) * (1.0 / (1UL << 53));
        return (float)-Math.Log(-Math.Log(u));
    }

    // SplitMix64's finaliser.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>How to choose the next token: greedy (temperature 0) or sampled, with top-k and top-p filters and a seed.</summary>
public sealed record SamplingOptions
{
    /// <summary>Divides the logits; 0 means greedy.</summary>
    public float Temperature { get; init; }

    /// <summary>Keep only the k most likely ids; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the most likely ids up to this probability mass; 1 keeps all.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seeds the draws: the same seed gives the same tokens at every tensor-parallel degree.</summary>
    public ulong Seed { get; init; }

    public bool IsGreedy => Temperature == 0f;

    /// <summary>Always the most likely id.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>Checks the values and names the one that is wrong.</summary>
    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0f) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be 0 (greedy) or positive.");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be 0 (off) or positive.");
        if (!(TopP > 0f && TopP <= 1f)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        return this;
    }
}
