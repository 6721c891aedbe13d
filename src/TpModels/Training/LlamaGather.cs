using TpCodegen.Training;

namespace TpCodegen.Models;

/// <summary>
/// Collective over a sharded model's tensor-parallel group: the dense model its ranks hold together, every shard
/// all-gathered and put back where the split took it from (heads, fused segments, vocabulary padding dropped), so a
/// trained model can be saved with <see cref="LlamaExport"/> as a Hugging Face directory.
/// </summary>
public static class LlamaGather
{
    /// <summary>
    /// Every rank gets the same dense model, fused as <paramref name="model"/> is, with or without
    /// <paramref name="sequenceParallel"/> (the weights are the same either way).
    /// </summary>
    public static LlamaModel ToDense(this LlamaModel model, bool sequenceParallel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        var group = model.Group;
        var dense = new LlamaModel(model.Config, model.Fused, sequenceParallel);
        var table = LayerParameters.Of(model.Embed).Value;
        // A vocabulary shard's rows follow each other rank by rank; the padding rows are the last ones.
        dense.Embed.SetWeights(model.Embed.Shard is null
            ? table
            : Gather(table, group).AsSpan(0, model.Config.Vocabulary * model.Config.Hidden));
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var (mine, theirs) = (model.Layers[i], dense.Layers[i]);
            mine.InputNorm.Weight.CopyTo(theirs.InputNorm.Weight, 0);
            mine.PostAttentionNorm.Weight.CopyTo(theirs.PostAttentionNorm.Weight, 0);
            foreach (var (from, to) in LlamaTraining.Linears(mine.Attention).Zip(LlamaTraining.Linears(theirs.Attention))) GatherLinear(from.Layer, to.Layer, group);
            foreach (var (from, to) in LlamaTraining.Linears(mine.Mlp).Zip(LlamaTraining.Linears(theirs.Mlp))) GatherLinear(from.Layer, to.Layer, group);
        }
        model.Norm.Weight.CopyTo(dense.Norm.Weight, 0);
        if (model.Head is { } head) GatherLinear(head, dense.Head!, group);
        return dense;
    }

    private static void GatherLinear(Linear sharded, Linear dense, Collectives.ProcessGroup group)
    {
        var parameters = LayerParameters.Of(sharded);
        if (sharded.Shard is not { } shard)
        {
            dense.SetWeights(parameters[0].Value, parameters.Count > 1 ? parameters[1].Value : default);
            return;
        }
        var (localIn, localOut) = shard.LocalWeightShape;
        var weights = Gather(parameters[0].Value, group);
        float[]? biases = parameters.Count > 1 ? parameters[1].Value : null;
        if (biases is not null && parameters[1].Placement == ParameterPlacement.Sharded) biases = Gather(biases, group);
        int inFeatures = sharded.InFeatures, outFeatures = sharded.OutFeatures, tp = group.Size;
        var weight = new float[(long)inFeatures * outFeatures];
        var bias = biases is null ? null : new float[outFeatures];
        for (int rank = 0; rank < tp; rank++)
        {
            var block = weights.AsSpan(rank * localIn * localOut, localIn * localOut);
            foreach (var (start, length, local) in Runs(sharded, shard.Split, rank, tp))
            {
                if (shard.Split == Split.Row)
                {
                    block.Slice(local * outFeatures, length * outFeatures).CopyTo(weight.AsSpan(start * outFeatures));
                    continue;
                }
                for (int row = 0; row < inFeatures; row++)
                    block.Slice(row * localOut + local, length).CopyTo(weight.AsSpan(row * outFeatures + start, length));
                if (bias is not null) biases.AsSpan(rank * localOut + local, length).CopyTo(bias.AsSpan(start));
            }
        }
        if (shard.Split == Split.Row && biases is not null) biases.CopyTo(bias!, 0);
        dense.SetWeights(weight, bias);
    }

    // Where rank's block sits in the dense dimension the split divides: (dense start, length, offset in the rank's block).
    private static IEnumerable<(int Start, int Length, int Local)> Runs(Linear layer, Split split, int rank, int tp)
    {
        if (split == Split.Vocab)
        {
            var vocabulary = VocabularySplit.Of(layer.OutFeatures, tp, rank);
            yield return (vocabulary.Start, vocabulary.LocalReal, 0);
            yield break;
        }
        var blocks = split == Split.Row
            ? layer.InputLayout.LocalBlocks("gather", Split.Row, rank, tp, allowReplication: false)
            : layer.OutputLayout.LocalBlocks("gather", Split.Column, rank, tp);
        int offset = 0;
        foreach (var block in blocks)
        {
            yield return (block.Start, block.Length, offset);
            offset += block.Length;
        }
    }

    private static float[] Gather(float[] local, Collectives.ProcessGroup group)
    {
        var all = new float[(long)local.Length * group.Size];
        group.AllGather(local, all);
        return all;
    }
}
