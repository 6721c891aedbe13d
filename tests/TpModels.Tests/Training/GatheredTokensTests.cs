using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// Sequence parallelism's gathered tokens released after their block (<see cref="DTensor.GatherTokens"/>): two column
/// layers read one gathered input, as q/k/v or gate/up do; released, the backward gathers the shard again and every
/// gradient is bit for bit the one of the same step that kept the gathered input, at tp 1-4 on 12 tokens of 10 features,
/// inside a step scope. The release gives the buffer back to the step pool, and an op that kept the released value fails
/// its backward with an error naming it.
/// </summary>
public sealed class GatheredTokensTests
{
    private const int Tokens = 12, Features = 10, Outputs = 12;

    [Fact]
    public void A_released_gather_gives_the_gradients_of_a_kept_one()
    {
        var input = Values(Tokens * Features, seed: 1);
        var (left, right) = (new ColumnModule(Features, Outputs, bias: true), new ColumnModule(Features, Outputs, bias: false));
        // Made here, once: the ranks' threads only read the dense weights they cut their shards from.
        _ = (left.Layer.Weight, right.Layer.Weight);
        foreach (int tp in (int[])[1, 2, 3, 4])
        {
            var runs = InProcessWorld.Run(tp, group =>
            {
                var kept = Step(left, right, input, group, release: false);
                var released = Step(left, right, input, group, release: true);
                return (kept, released, group.Rank);
            });
            foreach (var (kept, released, rank) in runs)
            {
                string at = $"tp={tp} rank {rank}";
                Assert.True(kept.InputGradient.AsSpan().SequenceEqual(released.InputGradient), $"{at}: the shard's gradient");
                for (int p = 0; p < kept.ParameterGradients.Length; p++)
                    Assert.True(kept.ParameterGradients[p].AsSpan().SequenceEqual(released.ParameterGradients[p]), $"{at}: parameter {p}'s gradient");
                // Kept: one all-gather in the forward. Released: the backward gathers the shard once more, for both layers.
                Assert.Equal(1L, kept.Gathers);
                Assert.Equal(2L, released.Gathers);
            }
        }
    }

    [Fact]
    public void A_released_gather_returns_its_buffer_to_the_step_pool()
    {
        InProcessWorld.Run(2, group =>
        {
            var shard = DTensor.FromArray(Values(Tokens / 2 * Features, seed: 2), Tokens / 2, Features, Placement.Shard(-2), group);
            long gathered = (long)Tokens * Features * sizeof(float);
            using (StepBuffers.Enter())
            {
                long before = StepBuffers.PooledBytes;
                // Sequential blocks: each gathered input is released before the next gather, which reuses its buffer.
                for (int block = 0; block < 3; block++)
                    using (var tokens = shard.GatherTokens())
                        Assert.Equal(Tokens, tokens.Value.Tokens);
                Assert.Equal(gathered, StepBuffers.PooledBytes - before);
            }
        });
    }

    [Fact]
    public void An_op_that_kept_a_released_gather_fails_its_backward_by_name()
    {
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            var shard = DTensor.FromArray(Values(Tokens / 2 * Features, seed: 3), Tokens / 2, Features, Placement.Shard(-2), group);
            using var tape = Tape.Start();
            tape.Watch(shard);
            DTensor activated;
            using (var tokens = shard.GatherTokens())
                activated = Ops.Silu(tokens.Value);
            tape.Backward(activated);
        }));
        var inner = Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.StartsWith("DTensor [12, 10] Replicate on ", inner.Message);
        Assert.Contains("was released: by GatherTokens or ReduceScatterTokens when its block ended (only the block's column layers may keep a gathered value", inner.Message);
    }

    [Fact]
    public void Gathering_a_value_that_is_not_a_token_shard_is_refused()
    {
        var replicated = DTensor.FromArray(new float[Tokens * Features], Tokens, Features, Placement.Replicate, new SingleRankGroup());
        var error = Assert.Throws<PlacementException>(() => replicated.GatherTokens());
        Assert.Equal(
            "GatherTokens all-gathers a token shard (Shard(-2)); DTensor [12, 10] Replicate on single (rank 0 of 1) (local [12, 10]) is Replicate. " +
            "Use Redistribute(Placement.Replicate) for other placements.", error.Message);
    }

    [Fact]
    public void Reduce_scattering_a_token_shard_is_refused()
    {
        InProcessWorld.Run(2, group =>
        {
            var shard = DTensor.FromArray(new float[Tokens / 2 * Features], Tokens / 2, Features, Placement.Shard(-2), group);
            var error = Assert.Throws<PlacementException>(() => shard.ReduceScatterTokens());
            Assert.StartsWith("ReduceScatterTokens reduce-scatters a partial sum over tokens; DTensor [6, 10] Shard(-2) on ", error.Message);
        });
    }

    private sealed record StepResult(float[] InputGradient, float[][] ParameterGradients, long Gathers);

    // loss = sum(left(g) * right(g)) over this rank's output columns, g the gathered tokens of this rank's shard.
    private static StepResult Step(ColumnModule left, ColumnModule right, float[] input, ProcessGroup group, bool release)
    {
        var (l, r) = (new ColumnModule(Features, Outputs, bias: true), new ColumnModule(Features, Outputs, bias: false));
        l.ShardFrom(left, group);
        r.ShardFrom(right, group);
        var parameters = LayerParameters.Of(l.Layer).Concat(LayerParameters.Of(r.Layer)).ToArray();
        int rows = Tokens / group.Size;
        var shard = DTensor.FromArray(input.AsSpan(group.Rank * rows * Features, rows * Features).ToArray(), rows, Features, Placement.Shard(-2), group);
        group.Counters.Reset();
        using var scope = StepBuffers.Enter();
        using var tape = Tape.Start();
        tape.Watch(shard);
        DTensor product;
        if (release)
            using (var tokens = shard.GatherTokens())
                product = l.Layer.Forward(tokens.Value) * r.Layer.Forward(tokens.Value);
        else
        {
            var tokens = shard.Redistribute(Placement.Replicate);
            product = l.Layer.Forward(tokens) * r.Layer.Forward(tokens);
        }
        tape.Backward(product);
        var result = new StepResult(tape.Gradient(shard)!.LocalSpan.ToArray(), parameters.Select(p => p.Grad.ToArray()).ToArray(),
            group.Counters.Calls(CollectiveKind.AllGather));
        foreach (var parameter in parameters) parameter.Grad.AsSpan().Clear();
        return result;
    }

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
