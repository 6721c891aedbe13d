using System.Text;
using static TpCodegen.Models.Planning.PlanFormat;

namespace TpCodegen.Models.Planning;

/// <summary>
/// The same model planned at every valid degree side by side, against degree 1: as the degree grows, compute per rank
/// shrinks as 1/tp but each all-reduce pays 2(tp-1) latencies, twice per layer per token. On a fast link the split pays;
/// on a slow one the communication of a decode step outgrows what it saves, which is why tensor parallelism stays inside
/// a node (NVLink) and pipeline or data parallelism crosses machines.
/// </summary>
public static class DegreeComparison
{
    /// <summary>Plans of <paramref name="config"/> at each valid degree up to <paramref name="maxDegree"/>.</summary>
    public static IReadOnlyList<ModelPlan> Plans(object config, int tokens, PlanHardware? hardware = null, int maxDegree = 8)
    {
        var degrees = config switch
        {
            LlamaConfig llama => ModelPlan.ValidDegreesOf(llama),
            Gpt2Config gpt2 => ModelPlan.ValidDegreesOf(gpt2),
            _ => throw new ArgumentException($"No plan for a {config?.GetType().Name ?? "null"}; plans read a LlamaConfig or a Gpt2Config.", nameof(config)),
        };
        return degrees.Where(d => d <= maxDegree).Select(d => ModelPlan.For(config, d, tokens, hardware)).ToArray();
    }

    /// <summary>A table of the plans: memory per rank, decode step (compute + communication), prefill per token, speed-up over the first.</summary>
    public static string Format(IReadOnlyList<ModelPlan> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        if (plans.Count == 0) return "";
        var text = new StringBuilder();
        var first = plans[0];
        text.AppendLine($"By degree, on {first.Hardware} (prefill of {first.Tokens} tokens, decode after them):");
        var rows = new List<string[]> { new[] { "tp", "weights/rank", "decode compute", "decode comm", "decode tokens/s", "speed-up", "prefill/token", "speed-up" } };
        double decode1 = Decode(first), prefill1 = Prefill(first);
        foreach (var plan in plans)
            rows.Add([Invariant($"{plan.Degree}"), Bytes(plan.WeightBytesPerRank), Seconds(plan.DecodeComputeSeconds), Seconds(plan.DecodeCommunicationSeconds),
                Invariant($"{1 / Decode(plan):0}"), Invariant($"{decode1 / Decode(plan):0.00}x"), Seconds(Prefill(plan)), Invariant($"{prefill1 / Prefill(plan):0.00}x")]);
        Table(text, "  ", rows, 0, 1, 2, 3, 4, 5, 6, 7);
        text.AppendLine("  (each rank is taken to have its own memory bandwidth, as GPUs, sockets and machines do; in-process ranks on one CPU share it)");
        return text.ToString();
    }

    private static double Decode(ModelPlan plan) => plan.DecodeComputeSeconds + plan.DecodeCommunicationSeconds;

    private static double Prefill(ModelPlan plan) => (plan.PrefillComputeSeconds + plan.PrefillCommunicationSeconds) / plan.Tokens;
}
