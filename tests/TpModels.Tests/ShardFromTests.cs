using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests;

/// <summary>What generated ShardFrom takes from the instance it is given, and what it leaves when it fails.</summary>
public sealed class ShardFromTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Bias_given_by_an_object_initializer_is_added_although_the_initializer_says_bias_false(int tp)
    {
        const int tokens = 5;
        var dense = new ReplaceableMlp { Fc = new(8, 16), Mid = new(16, 12), Proj = new(12, 8) };
        Assert.All(new[] { dense.Fc, dense.Mid, dense.Proj }, layer => Assert.NotNull(layer.Bias));
        var x = Reference.Input(tokens, 8, seed: 21);
        var midX = Reference.Input(tokens, 16, seed: 22);
        var projX = Reference.Input(tokens, 12, seed: 23);
        var expectedFc = Reference.Linear(x, dense.Fc, tokens);
        var expectedMid = Reference.Linear(midX, dense.Mid, tokens);
        var expectedProj = Reference.Linear(projX, dense.Proj, tokens);

        var results = InProcessWorld.Run(tp, group =>
        {
            var module = new ReplaceableMlp { Fc = new(8, 16), Mid = new(16, 12), Proj = new(12, 8) };
            module.ShardFrom(dense, group);
            var fc = module.Fc.Forward(DTensor.FromArray((float[])x.Clone(), tokens, 8, Placement.Replicate, group))
                .Redistribute(Placement.Replicate).ToTensor().ToArray();
            var midInput = DTensor.FromArray((float[])midX.Clone(), tokens, 16, Placement.Replicate, group).Redistribute(Placement.Shard(-1));
            var mid = module.Mid.Forward(midInput).Redistribute(Placement.Replicate).ToTensor().ToArray();
            var projInput = DTensor.FromArray((float[])projX.Clone(), tokens, 12, Placement.Replicate, group).Redistribute(Placement.Shard(-1));
            var proj = module.Proj.Forward(projInput).ToTensor().ToArray();
            return (fc, mid, proj);
        });
        for (int rank = 0; rank < tp; rank++)
        {
            Reference.AssertClose(expectedFc, results[rank].fc, $"Fc (Column) tp={tp} rank {rank}");
            Reference.AssertClose(expectedMid, results[rank].mid, $"Mid (Row, ReduceResults = false) tp={tp} rank {rank}");
            Reference.AssertClose(expectedProj, results[rank].proj, $"Proj (Row) tp={tp} rank {rank}");
        }
        Assert.All(dense.GetPlan(tp, tokens).Layers, layer => Assert.True(layer.HasBias, layer.LayerName));
    }

    [Fact]
    public void Shape_mismatch_on_a_later_layer_names_it_and_attaches_no_layer()
    {
        // The dense module's last layer is [12 -> 4]; the target's is [12 -> 8]. Both cut at tp=2.
        var dense = new ReplaceableMlp { Proj = new(12, 4) };
        var attached = new bool[2];
        var failure = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            var module = new ReplaceableMlp();
            try
            {
                module.ShardFrom(dense, group);
            }
            finally
            {
                attached[group.Rank] = module.Fc.Shard is not null || module.Mid.Shard is not null || module.Proj.Shard is not null;
            }
        }));
        var error = Assert.IsType<ArgumentException>(failure.InnerException);
        Assert.Contains("'Proj'", error.Message);
        Assert.Contains("[12 -> 8]", error.Message);
        Assert.Contains("[12 -> 4]", error.Message);
        Assert.Equal([false, false], attached);
    }
}
