using TpCodegen.Parallel;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// What one rank's parameters should hold, given the dense values (weights or gradients) of a tp=1 or dense model: cut with
/// the same LinearShard and VocabularySplit code that shards a model, so a rank's block is compared to its own slice.
/// </summary>
internal static class ShardSlices
{
    /// <summary>For each parameter of <paramref name="sharded"/> (this rank), the matching slice of <paramref name="denseValues"/>, keyed by name.</summary>
    public static Dictionary<string, float[]> Expected(LlamaModel sharded, IReadOnlyDictionary<string, float[]> denseValues)
    {
        var expected = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var group = sharded.Group;
        foreach (var item in sharded.Parameters().Items)
            if (item.Parameter.Placement == ParameterPlacement.Replicated) expected[item.Name] = denseValues[item.Name];
        var embedding = sharded.Embed.Shard is { } table ? Rows(denseValues[LlamaNames.Embedding], table.Split, table.Features) : denseValues[LlamaNames.Embedding];
        expected[LlamaNames.Embedding] = embedding;
        foreach (var (prefix, layer) in Linears(sharded))
        {
            if (layer.Shard is not { } shard) continue;
            var holder = new Linear(layer.InFeatures, layer.OutFeatures, layer.HasBias) { OutputLayout = layer.OutputLayout, InputLayout = layer.InputLayout };
            holder.SetWeights(denseValues[prefix + "weight"], layer.HasBias ? denseValues[prefix + "bias"] : default);
            var cut = shard.Split switch
            {
                Split.Column => LinearShard.Column(holder, shard.LayerName, group.Rank, group.Size),
                Split.Row => LinearShard.Row(holder, shard.LayerName, group.Rank, group.Size),
                _ => LinearShard.Vocab(holder, shard.LayerName, group.Rank, group.Size),
            };
            expected[prefix + "weight"] = cut.Weight.ToArray();
            if (cut.Bias is { } bias) expected[prefix + "bias"] = bias;
        }
        return expected;
    }

    /// <summary>Every linear layer of the model with the name prefix its parameters have.</summary>
    public static IEnumerable<(string Prefix, Linear Layer)> Linears(LlamaModel model)
    {
        for (int i = 0; i < model.Layers.Count; i++)
        {
            foreach (var (name, linear) in LlamaTraining.Linears(model.Layers[i].Attention)) yield return (LlamaNames.Attention(i) + name + ".", linear);
            foreach (var (name, linear) in LlamaTraining.Linears(model.Layers[i].Mlp)) yield return (LlamaNames.Mlp(i) + name + ".", linear);
        }
        if (model.Head is { } head) yield return ("lm_head.", head);
    }

    // This rank's rows of a [vocabulary, features] table, padding ids as zero rows.
    private static float[] Rows(float[] dense, VocabularySplit split, int features)
    {
        var rows = new float[split.Local * features];
        dense.AsSpan(split.Start * features, split.LocalReal * features).CopyTo(rows);
        return rows;
    }
}
