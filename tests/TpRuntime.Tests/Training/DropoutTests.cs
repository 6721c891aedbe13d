using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

namespace TpCodegen.Tests.Training;

/// <summary>
/// Dropout's masks: the same on every rank for a replicated value, different across the slices of a sharded one, and the
/// same at every degree (the gathered sharded output equals the one-rank output) from one seed; about p of the elements
/// dropped; a new mask per call; and a gradient that applies the mask (finite differences with the mask held fixed).
/// </summary>
public sealed class DropoutTests
{
    private const int Tokens = 9, Features = 12;
    private const float P = 0.3f;

    [Fact]
    public void Masks_follow_the_placement_and_not_the_degree()
    {
        var x = GradientCheck.Random(Tokens * Features, seed: 31);
        var single = Dropout.Apply(DTensor.FromArray((float[])x.Clone(), Tokens, Features, Placement.Replicate, TpCodegen.Collectives.SingleRankGroup.Instance), P, new DropoutRng(7)).LocalSpan.ToArray();
        int dropped = single.Count(v => v == 0);
        Assert.InRange(dropped, (int)(0.15 * single.Length), (int)(0.45 * single.Length));

        foreach (int tp in (int[])[2, 3, 4])
        {
            var results = InProcessWorld.Run(tp, group =>
            {
                var replicated = DTensor.FromArray((float[])x.Clone(), Tokens, Features, Placement.Replicate, group);
                var sharded = replicated.Redistribute(Placement.Shard(-1));
                var rng = new DropoutRng(7);
                var fromReplicated = Dropout.Apply(replicated, P, rng).LocalSpan.ToArray();
                var fromSharded = Dropout.Apply(sharded, P, new DropoutRng(7)).FullTensor().ToArray();
                var second = Dropout.Apply(replicated, P, rng).LocalSpan.ToArray();
                return (fromReplicated, fromSharded, second, Local: sharded.LocalFeatures);
            });
            foreach (var r in results)
            {
                Assert.Equal(single, r.fromReplicated);
                Assert.Equal(single, r.fromSharded);
                Assert.NotEqual(single, r.second);
            }
            // The slices of a sharded value get different masks: rank 0's and rank 1's dropped positions differ.
            int local = results[0].Local;
            var rank0 = Enumerable.Range(0, Tokens * local).Select(i => single[i / local * Features + i % local] == 0).ToArray();
            var rank1 = Enumerable.Range(0, Tokens * local).Select(i => single[i / local * Features + local + i % local] == 0).ToArray();
            Assert.NotEqual(rank0, rank1);
        }
    }

    [Fact]
    public void Gradient_applies_the_mask()
    {
        GradientCheck.Run("dropout", [new OpInput("x", GradientCheck.Random(Tokens * Features, seed: 32), Tokens, Features)], [],
            t => Dropout.Apply(t[0], P, new DropoutRng(11)));
    }

    [Fact]
    public void A_partial_value_is_refused()
    {
        var x = DTensor.FromArray(new float[4], 1, 4, Placement.Partial(), TpCodegen.Collectives.SingleRankGroup.Instance);
        var error = Assert.Throws<PlacementException>(() => Dropout.Apply(x, P, new DropoutRng(1)));
        Assert.StartsWith("Dropout of a Partial", error.Message);
    }
}
