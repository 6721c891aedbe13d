using System.Diagnostics;

namespace TpCodegen.Models;

/// <summary>What to generate: how many tokens at most, how to choose them, and whether an end-of-sequence id stops a sequence.</summary>
public sealed record GenerationOptions
{
    /// <summary>New tokens per sequence at most.</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>Greedy unless a temperature is set.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Stop a sequence at the model's end-of-sequence ids (the id itself is kept).</summary>
    public bool StopAtEos { get; init; } = true;
}

/// <summary>The tokens generated for each prompt, and where the time went.</summary>
/// <param name="Tokens">New tokens per prompt (the prompt not included).</param>
/// <param name="Prefill">The prompts' forward and the first token's choice.</param>
/// <param name="Decode">Every later step.</param>
/// <param name="DecodeSteps">Forward passes after the prefill.</param>
public sealed record GenerationResult(IReadOnlyList<int[]> Tokens, TimeSpan Prefill, TimeSpan Decode, int DecodeSteps)
{
    /// <summary>Generated tokens over all sequences.</summary>
    public int TokenCount => Tokens.Sum(t => t.Length);

    /// <summary>Decode throughput: tokens chosen after the first, per second.</summary>
    public double DecodeTokensPerSecond => Decode.TotalSeconds > 0 ? (TokenCount - Tokens.Count(t => t.Length > 0)) / Decode.TotalSeconds : 0;
}

/// <summary>
/// Prefill, then one token at a time per sequence with the KV cache: every rank of the model's group runs the same loop
/// and chooses the same tokens (the choice is reduced over the vocabulary shards), so the result is identical at every
/// degree, in-process or under MPI.
/// </summary>
public static class TextGeneration
{
    public static GenerationResult Generate(ICausalLanguageModel model, IReadOnlyList<int[]> prompts, GenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        options ??= new GenerationOptions();
        options.Sampling.Validate();
        if (options.MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxNewTokens, "MaxNewTokens must not be negative.");
        if (prompts.Count == 0) return new GenerationResult([], TimeSpan.Zero, TimeSpan.Zero, 0);
        for (int s = 0; s < prompts.Count; s++)
        {
            if (prompts[s] is not { Length: > 0 }) throw new ArgumentException($"Prompt {s} is empty: generation needs at least one token to start from.", nameof(prompts));
            foreach (int id in prompts[s])
                if ((uint)id >= (uint)model.Vocabulary)
                    throw new ArgumentOutOfRangeException(nameof(prompts), id, $"Prompt {s} has id {id}, outside the vocabulary [0, {model.Vocabulary}).");
        }
        int longest = prompts.Max(p => p.Length);
        int capacity = Math.Min(model.MaxPositions, longest + options.MaxNewTokens);
        if (longest > model.MaxPositions)
            throw new ArgumentException($"A prompt of {longest} tokens is longer than the model's {model.MaxPositions} positions.", nameof(prompts));
        var cache = model.CreateCache(prompts.Count, capacity);
        var generated = prompts.Select(_ => new List<int>()).ToArray();
        var eos = options.StopAtEos ? model.EosTokens.ToHashSet() : [];

        var watch = Stopwatch.StartNew();
        var batch = SequenceBatch.Prefill(prompts.Select(p => p.Length).ToArray());
        int[] next;
        // Each step's activations come from this rank's pooled buffers, reused by the next step: steady-state decode
        // allocates no activation memory. Only the chosen ids leave the scope.
        using (StepBuffers.Enter())
            next = Choose(model.Forward(prompts.SelectMany(p => p).ToArray(), batch, cache, LogitRows.LastOfEachSequence),
                options.Sampling, Enumerable.Range(0, prompts.Count).Select(s => (s, prompts[s].Length)).ToArray());
        var prefill = watch.Elapsed;

        var active = new List<int>();
        for (int s = 0; s < prompts.Count; s++)
        {
            if (options.MaxNewTokens == 0) continue;
            generated[s].Add(next[s]);
            if (!eos.Contains(next[s]) && generated[s].Count < options.MaxNewTokens && cache.Length(s) < capacity) active.Add(s);
        }
        int steps = 0;
        watch.Restart();
        while (active.Count > 0)
        {
            var slots = active.ToArray();
            var positions = slots.Select(cache.Length).ToArray();
            var ids = slots.Select(s => generated[s][^1]).ToArray();
            using (StepBuffers.Enter())
                next = Choose(model.Forward(ids, SequenceBatch.Decode(slots, positions), cache, LogitRows.LastOfEachSequence),
                    options.Sampling, slots.Select((s, i) => (s, positions[i] + 1)).ToArray());
            steps++;
            var still = new List<int>();
            for (int i = 0; i < slots.Length; i++)
            {
                int s = slots[i];
                generated[s].Add(next[i]);
                if (!eos.Contains(next[i]) && generated[s].Count < options.MaxNewTokens && cache.Length(s) < capacity) still.Add(s);
            }
            active = still;
        }
        return new GenerationResult(generated.Select(g => g.ToArray()).ToArray(), prefill, watch.Elapsed, steps);
    }

    // Each draw is keyed by (sequence, position it fills), so a sequence's tokens do not depend on the batch or the degree.
    private static int[] Choose(DTensor logits, SamplingOptions sampling, (int Sequence, int Position)[] keys) =>
        sampling.IsGreedy
            ? VocabParallel.Argmax(logits)
            : VocabParallel.Sample(logits, sampling, keys.Select(k => ((long)k.Sequence << 32) | (uint)k.Position).ToArray());
}
