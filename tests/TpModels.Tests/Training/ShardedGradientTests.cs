using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// The tape's gradients of a whole Llama, sharded at tp 1-4, equal the dense model's: the loss is the same on every rank,
/// and each rank's parameter gradients are its own slice of the dense gradients (replicated ones whole). Shapes that are
/// not powers of two: a vocabulary of 37 (padded at every degree above 1), 12 heads of 2, an MLP of 36; q/k/v and
/// gate/up plain and fused; a label-smoothed loss with an ignored token.
/// </summary>
public sealed class ShardedGradientTests
{
    internal static readonly LlamaConfig Config = LlamaConfig.Small(vocabulary: 37, hidden: 24, intermediate: 36, layers: 2, heads: 12, kvHeads: 12);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sharded_gradients_are_slices_of_the_dense_gradients(bool fused)
    {
        var dense = new LlamaModel(Config, fused);
        var (ids, targets, batch) = Batch(seed: 3);
        targets[4] = VocabParallelCrossEntropy.DefaultIgnoreIndex;
        var (denseLoss, denseGradients) = LossAndGradients(dense, ids, targets, batch);
        Assert.True(denseGradients.Values.All(g => g.Any(v => v != 0)), "every dense parameter gets a gradient");

        foreach (int tp in (int[])[1, 2, 3, 4])
        {
            InProcessWorld.Run(tp, group =>
            {
                var model = new LlamaModel(Config, fused);
                model.ShardFrom(dense, group);
                var (loss, gradients) = LossAndGradients(model, ids, targets, batch);
                string at = $"tp={tp} rank {group.Rank} fused={fused}";
                Assert.True(Math.Abs(loss - denseLoss) <= 1e-5 * Math.Abs(denseLoss), $"{at}: loss {loss} vs dense {denseLoss}");
                foreach (var (name, expected) in ShardSlices.Expected(model, denseGradients))
                    Reference.AssertClose(expected, gradients[name], $"{at} d/d{name}", tolerance: 1e-4);
            });
        }
    }

    internal static (int[] Ids, int[] Targets, SequenceBatch Batch) Batch(int seed, int sequences = 2, int length = 7)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, sequences * length).Select(_ => random.Next(Config.Vocabulary)).ToArray();
        var targets = ids.Select((_, i) => (i + 1) % length == 0 ? 0 : ids[i + 1]).ToArray();
        return (ids, targets, SequenceBatch.Prefill(Enumerable.Repeat(length, sequences).ToArray()));
    }

    private static (float Loss, Dictionary<string, float[]> Gradients) LossAndGradients(LlamaModel model, int[] ids, int[] targets, SequenceBatch batch)
    {
        var parameters = model.Parameters();
        parameters.ZeroGrad();
        float value;
        using (var tape = Tape.Start())
        {
            var loss = model.Loss(ids, targets, batch, labelSmoothing: 0.1f);
            value = loss.LocalSpan[0];
            loss.Backward();
        }
        return (value, parameters.Items.ToDictionary(p => p.Name, p => p.Parameter.Grad.ToArray()));
    }
}
