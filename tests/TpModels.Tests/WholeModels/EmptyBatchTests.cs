using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>An empty batch is legal: every op and layer of a whole model takes zero tokens and returns zero rows, sharded too.</summary>
public class EmptyBatchTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_whole_model_runs_an_empty_batch(int tp)
    {
        var config = LlamaConfig.Small(vocabulary: 31, hidden: 24, intermediate: 40, layers: 2, heads: 4, kvHeads: 2);
        var dense = new LlamaModel(config);
        var shapes = new (int Tokens, int Features)[tp];
        var chosen = new int[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var model = new LlamaModel(config);
            model.ShardFrom(dense, group);
            var logits = model.Forward([], SequenceBatch.Prefill(), model.CreateCache(1, 4));
            shapes[group.Rank] = (logits.Tokens, logits.LocalFeatures);
            chosen[group.Rank] = VocabParallel.Argmax(logits);
        });
        Assert.All(shapes, shape => Assert.Equal((0, (31 + tp - 1) / tp), shape));
        Assert.All(chosen, Assert.Empty);
    }

    [Fact]
    public void Every_op_takes_zero_tokens()
    {
        var empty = DTensor.FromArray([], 0, 8, Placement.Replicate, Collectives.SingleRankGroup.Instance);
        Assert.Equal(0, new RmsNorm(8).Forward(empty).Tokens);
        Assert.Equal(0, new LayerNorm(8).Forward(empty).Tokens);
        Assert.Equal(0, Ops.Silu(empty).Tokens);
        Assert.Equal(0, (empty + empty).Tokens);
        Assert.Equal(0, Ops.SelectRows(empty, []).Tokens);
        Assert.Equal(0, CausalAttention.Forward(empty, empty, empty, headDim: 4, SequenceBatch.Prefill(0), new KvCache(1, 4, 2, 4), new RotaryEmbedding(4)).Tokens);
        Assert.Equal(0, new Embedding(5, 8).Forward([]).Tokens);
        Assert.Equal(0, new Embedding(5, 8).Logits(empty).Tokens);
        Assert.Empty(VocabParallel.Sample(empty, new SamplingOptions { Temperature = 1, TopK = 2, TopP = 0.5f }, []));
    }
}
