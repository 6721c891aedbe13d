using System.Text;
using static TpCodegen.Models.Planning.PlanFormat;

namespace TpCodegen.Models.Planning;

/// <summary>The readable form of a <see cref="ModelPlan"/>: what each rank holds, what a token costs, what moves, and a prediction.</summary>
internal static class ModelPlanText
{
    public static string Format(ModelPlan plan)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"{plan.Architecture} at tp={plan.Degree}: {plan.Layers} layers, hidden {plan.Hidden}, head_dim {plan.HeadDim}, MLP {plan.Intermediate}, F32 weights"));
        text.AppendLine(Invariant($"  heads: {plan.Heads} query -> {plan.HeadsPerRank} per rank; {plan.KvHeads} key/value -> {plan.KvHeadsPerRank} per rank") +
            (plan.KvReplication > 1 ? Invariant($" (tp > KV heads: each KV head replicated on {plan.KvReplication} ranks)") : ""));
        text.AppendLine(Invariant($"  vocabulary: {plan.Vocabulary.Vocabulary} padded to {plan.Vocabulary.Padded} (+{plan.Vocabulary.Padding}), {plan.Vocabulary.Local} ids per rank") +
            (plan.TiedHead ? "; head tied to the embedding" : ""));
        text.AppendLine($"  valid tp: {string.Join(", ", plan.ValidDegrees)}");
        text.AppendLine();

        var parts = new List<string[]> { new[] { "part", "split", "dense", "per rank", "params/rank", "note" } };
        foreach (var section in plan.Sections)
        {
            bool repeated = section.Repeats > 1 || section.Name.EndsWith(".N", StringComparison.Ordinal);
            if (repeated) parts.Add([Invariant($"{section.Name} (x{section.Repeats})"), "", "", "", "", ""]);
            foreach (var part in section.Parts)
                parts.Add([(repeated ? "  " : "") + part.Name, part.Split, part.Dense, part.Local, Count(part.ParametersPerRank), part.Note]);
        }
        parts.Add(["total", "", "", "", Count(plan.ParametersPerRank), Bytes(plan.WeightBytesPerRank) + " per rank"]);
        Table(text, "  ", parts, 4);
        text.AppendLine();

        text.AppendLine($"  KV cache per rank: {Bytes(plan.KvCacheBytesPerTokenPerRank)} per token ({Bytes(plan.KvCacheBytesPerTokenPerRank * (double)plan.Tokens)} for {plan.Tokens} tokens)");
        text.AppendLine($"  read per generated token per rank: {Bytes(plan.WeightBytesReadPerTokenPerRank)} of weights + {Bytes(plan.KvCacheBytesReadPerTokenPerRank)} of KV cache (context {plan.Tokens})");
        text.AppendLine();

        if (plan.Collectives.Count == 0) text.AppendLine("  collectives: none (tp=1)");
        else
        {
            var rows = new List<string[]> { new[] { "collective per forward", "kind", "calls", Invariant($"prefill {plan.Tokens}: bytes/call"), "decode: bytes/call" } };
            foreach (var c in plan.Collectives)
                rows.Add([c.Site, c.Kind.ToString(), Count(c.Calls), Bytes(c.PrefillBytesPerCall), Bytes(c.DecodeBytesPerCall)]);
            rows.Add(["total", "", Count(plan.CollectiveCalls), Bytes(plan.Collectives.Sum(c => (double)c.Calls * c.PrefillBytesPerCall)), Bytes(plan.Collectives.Sum(c => (double)c.Calls * c.DecodeBytesPerCall))]);
            Table(text, "  ", rows, 2, 3, 4);
        }
        text.AppendLine();

        text.AppendLine($"  predicted on {plan.Hardware}:");
        Table(text, "    ",
        [
            ["", "compute", "communication", "per token"],
            [Invariant($"prefill of {plan.Tokens}"), Seconds(plan.PrefillComputeSeconds), Seconds(plan.PrefillCommunicationSeconds),
                Seconds((plan.PrefillComputeSeconds + plan.PrefillCommunicationSeconds) / plan.Tokens)],
            ["decode step", Seconds(plan.DecodeComputeSeconds), Seconds(plan.DecodeCommunicationSeconds),
                Invariant($"{Seconds(plan.DecodeComputeSeconds + plan.DecodeCommunicationSeconds)} ({plan.DecodeTokensPerSecond:0.#} tokens/s)")],
        ], 1, 2, 3);
        text.AppendLine("    (prefill: FLOPs / rate; decode: bytes read / memory bandwidth; ring all-reduce: 2(p-1)/p x bytes / bandwidth + 2(p-1) x latency)");
        return text.ToString();
    }
}
