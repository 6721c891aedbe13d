using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// GPT-2's ops train too (LayerNorm, GELU, fused q|k|v with biases, learned positions, a head tied to the vocabulary-split
/// embedding): sharded at tp 1-4, the loss is the dense loss and each rank's gradients are its slice of the dense ones;
/// the tied table's gradient sums the lookup's and the head's.
/// </summary>
public sealed class Gpt2GradientTests
{
    private static readonly Gpt2Config s_config = new() { Vocabulary = 29, Hidden = 24, Heads = 12, Layers = 2, Positions = 16, Inner = 36, EosTokens = [0] };

    [Fact]
    public void Sharded_gradients_are_slices_of_the_dense_gradients()
    {
        var dense = new Gpt2Model(s_config);
        var random = new Random(9);
        var ids = Enumerable.Range(0, 12).Select(_ => random.Next(s_config.Vocabulary)).ToArray();
        var targets = ids.Select(x => (3 * x + 1) % s_config.Vocabulary).ToArray();
        var batch = SequenceBatch.Prefill(7, 5);
        var (denseLoss, denseGradients) = LossAndGradients(dense, dense.Parameters(), ids, targets, batch);

        foreach (int tp in (int[])[1, 2, 3, 4])
        {
            InProcessWorld.Run(tp, group =>
            {
                var model = new Gpt2Model(s_config);
                model.ShardFrom(dense, group);
                var parameters = model.Parameters();
                var (loss, gradients) = LossAndGradients(model, parameters, ids, targets, batch);
                string at = $"gpt-2 tp={tp} rank {group.Rank}";
                Assert.True(Math.Abs(loss - denseLoss) <= 1e-5 * Math.Abs(denseLoss), $"{at}: loss {loss} vs dense {denseLoss}");
                foreach (var item in parameters.Items)
                {
                    var expected = Slice(model, item.Name, denseGradients[item.Name], group.Rank, tp);
                    Reference.AssertClose(expected, gradients[item.Name], $"{at} d/d{item.Name}", tolerance: 1e-4);
                }
            });
        }
    }

    // This rank's slice of a dense gradient, cut as the shard was: the table's rows (padding zero), a layer's block.
    private static float[] Slice(Gpt2Model model, string name, float[] dense, int rank, int tp)
    {
        if (name == "transformer.wte.weight")
        {
            var split = model.Tokens.Shard!.Split;
            var rows = new float[split.Local * s_config.Hidden];
            dense.AsSpan(split.Start * s_config.Hidden, split.LocalReal * s_config.Hidden).CopyTo(rows);
            return rows;
        }
        var layer = model.Layers.SelectMany(l => new[] { l.Attention.Qkv, l.Attention.Out, l.Mlp.Fc, l.Mlp.Proj })
            .Select((linear, i) => (linear, prefix: $"transformer.h.{i / 4}.{(i % 4) switch { 0 => "attn.c_attn", 1 => "attn.c_proj", 2 => "mlp.c_fc", _ => "mlp.c_proj" }}."))
            .FirstOrDefault(l => name.StartsWith(l.prefix, StringComparison.Ordinal));
        if (layer.linear?.Shard is not { } shard) return dense;
        var holder = new Linear(layer.linear.InFeatures, layer.linear.OutFeatures) { OutputLayout = layer.linear.OutputLayout, InputLayout = layer.linear.InputLayout };
        bool bias = name.EndsWith(".bias", StringComparison.Ordinal);
        if (bias && shard.Split == Split.Row) return dense;
        var weight = bias ? new float[holder.InFeatures * holder.OutFeatures] : dense;
        holder.SetWeights(weight, bias ? dense : new float[holder.OutFeatures]);
        var cut = shard.Split == Split.Column
            ? Parallel.LinearShard.Column(holder, shard.LayerName, rank, tp)
            : Parallel.LinearShard.Row(holder, shard.LayerName, rank, tp);
        return bias ? cut.Bias! : cut.Weight.ToArray();
    }

    private static (float Loss, Dictionary<string, float[]> Gradients) LossAndGradients(Gpt2Model model, ParameterSet parameters, int[] ids, int[] targets, SequenceBatch batch)
    {
        parameters.ZeroGrad();
        float value;
        using (var tape = Tape.Start())
        {
            var loss = model.Loss(ids, targets, batch);
            value = loss.LocalSpan[0];
            loss.Backward();
        }
        return (value, parameters.Items.ToDictionary(p => p.Name, p => p.Parameter.Grad.ToArray()));
    }
}
