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
            InProcessWorld.Run(tp, group => AssertShardMatchesDense(dense, group, ids, targets, batch, denseLoss, denseGradients, $"fused={fused}"));
    }

    /// <summary>
    /// Two key/value heads at tp=4 and tp=8: each head is held whole by 2 or 4 ranks, each of which computes only its query
    /// heads' part of the head's gradient; the replicas' parts are summed, so every rank's K and V gradients are the dense
    /// ones of its head, and the global gradient norm counts each replicated head once.
    /// </summary>
    [Fact]
    public void Replicated_key_value_heads_get_the_whole_gradient_of_their_head()
    {
        var config = LlamaConfig.Small(vocabulary: 37, hidden: 32, intermediate: 40, layers: 1, heads: 8, kvHeads: 2);
        var dense = new LlamaModel(config);
        var (ids, targets, batch) = Batch(seed: 5);
        var (denseLoss, denseGradients) = LossAndGradients(dense, ids, targets, batch);
        float denseNorm = GradientClipping.GlobalNorm(dense.Parameters(), new Collectives.SingleRankGroup());
        foreach (int tp in (int[])[4, 8])
        {
            InProcessWorld.Run(tp, group =>
            {
                var model = AssertShardMatchesDense(dense, group, ids, targets, batch, denseLoss, denseGradients, "replicated kv heads");
                float norm = GradientClipping.GlobalNorm(model.Parameters(), group);
                Assert.True(Math.Abs(norm - denseNorm) <= 1e-4 * denseNorm, $"tp={tp} rank {group.Rank}: global norm {norm} vs dense {denseNorm}");
            });
        }
    }

    [Fact]
    public void Fused_projections_with_replicated_key_value_heads_are_refused_by_name()
    {
        var config = LlamaConfig.Small(vocabulary: 37, hidden: 32, intermediate: 40, layers: 1, heads: 8, kvHeads: 2);
        var dense = new LlamaModel(config, fuseProjections: true);
        var error = Assert.Throws<Collectives.RankFailedException>(() => InProcessWorld.Run(4, group =>
        {
            var model = new LlamaModel(config, fuseProjections: true);
            model.ShardFrom(dense, group);
            model.Parameters();
        }));
        var inner = Assert.IsType<NotSupportedException>(error.InnerException);
        Assert.StartsWith("Training Column 'Qkv' [32 -> 48]", inner.Message);
        Assert.EndsWith("so some of the fused segments (q: 8x4 | k: 2x4 (kv) | v: 2x4 (kv)) are replicated across ranks; train the unfused projections, or at a degree that divides the key/value heads.", inner.Message);
    }

    /// <summary>Rank <c>group.Rank</c>'s shard of <paramref name="dense"/>: the dense loss, and its slice of every dense gradient. Returns the shard, its gradients kept.</summary>
    private static LlamaModel AssertShardMatchesDense(LlamaModel dense, Collectives.ProcessGroup group, int[] ids, int[] targets, SequenceBatch batch,
        float denseLoss, Dictionary<string, float[]> denseGradients, string what)
    {
        var model = new LlamaModel(dense.Config, dense.Fused);
        model.ShardFrom(dense, group);
        var (loss, gradients) = LossAndGradients(model, ids, targets, batch);
        string at = $"tp={group.Size} rank {group.Rank} {what}";
        Assert.True(Math.Abs(loss - denseLoss) <= 1e-5 * Math.Abs(denseLoss), $"{at}: loss {loss} vs dense {denseLoss}");
        foreach (var (name, expected) in ShardSlices.Expected(model, denseGradients))
            Reference.AssertClose(expected, gradients[name], $"{at} d/d{name}", tolerance: 1e-4);
        return model;
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
