using TpCodegen;
using TpCodegen.Models;
using TpCodegen.Models.Planning;

namespace GenerateSample;

/// <summary>What the sample was asked to do, parsed from its command line.</summary>
public sealed record GenerateOptions
{
    /// <summary>A Hugging Face model directory; null runs the built-in check on a small random Llama.</summary>
    public string? Model { get; init; }

    public int Tp { get; init; } = 2;

    public int[]? PromptIds { get; init; }

    public string? Prompt { get; init; }

    public int MaxNewTokens { get; init; } = 24;

    public float Temperature { get; init; }

    public int TopK { get; init; }

    public float TopP { get; init; } = 1f;

    public ulong Seed { get; init; }

    public bool Fuse { get; init; }

    /// <summary>Print the plan from the config alone and exit.</summary>
    public bool PlanOnly { get; init; }

    /// <summary>Tokens the plan's prefill (and decode context) counts.</summary>
    public int PlanTokens { get; init; } = 128;

    /// <summary>The interconnect preset the plan predicts communication on.</summary>
    public string InterconnectName { get; init; } = Interconnect.SharedMemory.Name;

    public double GflopsPerRank { get; init; } = 100;

    public double MemoryGBpsPerRank { get; init; } = 28;

    /// <summary>The prompt of the built-in check: ids of a small random Llama's vocabulary.</summary>
    public static int[] DemoPrompt { get; } = [1, 15, 42, 7, 99, 3, 256, 8];

    /// <summary>The built-in check's model: 4 layers, 8 query heads over 2 KV heads (replicated from tp 4 on), untied head.</summary>
    public static LlamaConfig DemoConfig { get; } = LlamaConfig.Small(vocabulary: 1000, hidden: 256, intermediate: 688, layers: 4, heads: 8, kvHeads: 2);

    public SamplingOptions Sampling => new SamplingOptions { Temperature = Temperature, TopK = TopK, TopP = TopP, Seed = Seed }.Validate();

    public PlanHardware Hardware => new PlanHardware(Interconnect.Named(InterconnectName), GflopsPerRank, MemoryGBpsPerRank).Validate();

    /// <summary>Checks what a parser cannot: options that exclude each other, values out of range.</summary>
    public GenerateOptions Validate()
    {
        if (Tp < 1) throw new ArgumentException($"--tp {Tp}: the tensor-parallel degree must be at least 1.");
        if (MaxNewTokens < 0) throw new ArgumentException($"--max-new-tokens {MaxNewTokens}: must not be negative.");
        if (PlanTokens < 1) throw new ArgumentException($"--plan-tokens {PlanTokens}: must be at least 1.");
        if (Prompt is not null && PromptIds is not null) throw new ArgumentException("Give --prompt or --prompt-ids, not both.");
        if (Prompt is not null && Model is null)
            throw new ArgumentException("--prompt needs --model DIR with a tokenizer; the built-in random model takes --prompt-ids only.");
        if (PromptIds is { Length: 0 }) throw new ArgumentException("--prompt-ids is empty: give at least one id, e.g. --prompt-ids 1,2,3.");
        _ = Sampling;
        _ = Hardware;
        return this;
    }
}
