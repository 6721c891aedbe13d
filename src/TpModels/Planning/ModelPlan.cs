using TpCodegen.Collectives;

namespace TpCodegen.Models.Planning;

/// <summary>
/// The plan of a whole decoder at one tensor-parallel degree, from its config alone (no weights): what every part of a layer
/// holds per rank, heads per rank and key/value replication, vocabulary padding, memory per rank, bytes read per generated
/// token, the collectives of a forward with their sizes, and, on given hardware, predicted compute beside communication
/// time for a prefill of <see cref="Tokens"/> tokens and for one decode token after them.
/// </summary>
/// <remarks>
/// All weights are F32. Collectives are those a forward runs at <see cref="Degree"/> &gt; 1: one all-reduce for the
/// embedding, two per decoder layer (attention output, MLP down projection) and one all-gather of (max, id) per chosen
/// token (greedy; sampling adds a gather for top-k and reductions for top-p). At degree 1 there are none.
/// </remarks>
public sealed class ModelPlan
{
    /// <summary>The architecture, as config.json names it.</summary>
    public required string Architecture { get; init; }

    public required int Degree { get; init; }

    /// <summary>Tokens of the prefill, and the context a decode token attends to.</summary>
    public required int Tokens { get; init; }

    public required int Hidden { get; init; }

    public required int Layers { get; init; }

    public required int Heads { get; init; }

    public required int KvHeads { get; init; }

    public required int HeadDim { get; init; }

    /// <summary>The MLP's width (Llama's intermediate_size, GPT-2's n_inner).</summary>
    public required int Intermediate { get; init; }

    public required int HeadsPerRank { get; init; }

    /// <summary>Key/value heads each rank holds: its share, or one head when the degree exceeds the key/value heads.</summary>
    public required int KvHeadsPerRank { get; init; }

    /// <summary>Ranks that hold each key/value head: 1 when they are split, <c>tp / kv_heads</c> when replicated.</summary>
    public required int KvReplication { get; init; }

    /// <summary>The vocabulary split (seen from rank 0): padding added and ids per rank.</summary>
    public required VocabularySplit Vocabulary { get; init; }

    /// <summary>The head shares the embedding's shard (<c>tie_word_embeddings</c>, GPT-2).</summary>
    public required bool TiedHead { get; init; }

    /// <summary>Every degree this model splits at (up to its query heads).</summary>
    public required IReadOnlyList<int> ValidDegrees { get; init; }

    public required IReadOnlyList<PlannedSection> Sections { get; init; }

    public required IReadOnlyList<ModelCollective> Collectives { get; init; }

    /// <summary>Bytes of keys and values one rank caches per token of a sequence (every layer).</summary>
    public required long KvCacheBytesPerTokenPerRank { get; init; }

    public required PlanHardware Hardware { get; init; }

    /// <summary>Floats one rank stores.</summary>
    public long ParametersPerRank => Sections.Sum(s => s.Repeats * s.Parts.Sum(p => p.ParametersPerRank));

    public long WeightBytesPerRank => ParametersPerRank * sizeof(float);

    /// <summary>Bytes of weights one rank reads to generate one token (a decode step).</summary>
    public long WeightBytesReadPerTokenPerRank => Sections.Sum(s => s.Repeats * s.Parts.Sum(p => p.BytesReadPerToken));

    /// <summary>Bytes of KV cache one rank reads in a decode step after <see cref="Tokens"/> tokens.</summary>
    public long KvCacheBytesReadPerTokenPerRank => KvCacheBytesPerTokenPerRank * Tokens;

    /// <summary>FLOPs one rank spends on a prefill of <see cref="Tokens"/> tokens (logits of the last token only).</summary>
    public double PrefillFlopsPerRank =>
        Sections.Sum(s => (double)s.Repeats * (s.LastTokenOnly ? 1 : Tokens) * s.Parts.Sum(p => p.FlopsPerToken))
        // Causal attention: query i scores and mixes i + 1 positions, 2 x head_dim FLOPs each for QK^T and again for PV.
        + 4.0 * Layers * HeadsPerRank * HeadDim * ((double)Tokens * (Tokens + 1) / 2);

    /// <summary>FLOPs one rank spends on one decode token after <see cref="Tokens"/> tokens.</summary>
    public double DecodeFlopsPerRank =>
        Sections.Sum(s => (double)s.Repeats * s.Parts.Sum(p => p.FlopsPerToken)) + 4.0 * Layers * HeadsPerRank * HeadDim * (Tokens + 1);

    /// <summary>Prefill is compute-bound: its FLOPs over the rank's rate.</summary>
    public double PrefillComputeSeconds => PrefillFlopsPerRank / (Hardware.GflopsPerRank * 1e9);

    /// <summary>A decode step is memory-bound: the weights and cache it reads over the rank's memory bandwidth.</summary>
    public double DecodeComputeSeconds => (WeightBytesReadPerTokenPerRank + KvCacheBytesReadPerTokenPerRank) / (Hardware.MemoryGBpsPerRank * 1e9);

    public double PrefillCommunicationSeconds => Collectives.Sum(c => c.Calls * CallSeconds(c.Kind, c.PrefillBytesPerCall));

    public double DecodeCommunicationSeconds => Collectives.Sum(c => c.Calls * CallSeconds(c.Kind, c.DecodeBytesPerCall));

    /// <summary>Predicted decode throughput of one sequence: one token per step of compute plus communication.</summary>
    public double DecodeTokensPerSecond => 1 / (DecodeComputeSeconds + DecodeCommunicationSeconds);

    /// <summary>Collective calls of one forward.</summary>
    public int CollectiveCalls => Collectives.Sum(c => c.Calls);

    private double CallSeconds(CollectiveKind kind, long bytes) => kind switch
    {
        CollectiveKind.AllReduce => Hardware.Interconnect.AllReduceSeconds(bytes, Degree),
        CollectiveKind.AllGather => Hardware.Interconnect.AllGatherSeconds(bytes, Degree),
        _ => throw new NotSupportedException($"A model plan does not time {kind}."),
    };

    /// <summary>The plan of a Llama-family model at degree <paramref name="tp"/>.</summary>
    public static ModelPlan For(LlamaConfig config, int tp, int tokens, PlanHardware? hardware = null) =>
        LlamaPlanner.Plan(config, tp, tokens, (hardware ?? PlanHardware.Default).Validate());

    /// <summary>The plan of a GPT-2 model at degree <paramref name="tp"/>.</summary>
    public static ModelPlan For(Gpt2Config config, int tp, int tokens, PlanHardware? hardware = null) =>
        Gpt2Planner.Plan(config, tp, tokens, (hardware ?? PlanHardware.Default).Validate());

    /// <summary>The plan of the config <see cref="HuggingFaceModel.ReadConfig"/> returns.</summary>
    public static ModelPlan For(object config, int tp, int tokens, PlanHardware? hardware = null) => config switch
    {
        LlamaConfig llama => For(llama, tp, tokens, hardware),
        Gpt2Config gpt2 => For(gpt2, tp, tokens, hardware),
        null => throw new ArgumentNullException(nameof(config)),
        _ => throw new ArgumentException($"No plan for a {config.GetType().Name}; plans read a LlamaConfig or a Gpt2Config.", nameof(config)),
    };

    /// <summary>Degrees a Llama-family model splits at, up to its query heads.</summary>
    public static IReadOnlyList<int> ValidDegreesOf(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Enumerable.Range(1, config.Heads)
            .Where(d => config.Heads % d == 0 && (config.KvHeads % d == 0 || d % config.KvHeads == 0) && config.Intermediate % d == 0)
            .ToArray();
    }

    /// <summary>Degrees a GPT-2 model splits at, up to its heads.</summary>
    public static IReadOnlyList<int> ValidDegreesOf(Gpt2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Enumerable.Range(1, config.Heads).Where(d => config.Heads % d == 0 && config.Inner % d == 0).ToArray();
    }

    public override string ToString() => ModelPlanText.Format(this);
}
