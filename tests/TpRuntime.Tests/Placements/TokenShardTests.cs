using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Tests.Placements;

/// <summary>
/// Token shards (Shard(-2), sequence parallelism): Replicate -> Shard(-2) keeps this rank's rows with no collective,
/// Shard(-2) -> Replicate all-gathers them back, Partial -> Shard(-2) reduce-scatters the sum's rows, at tp 1-4 on a
/// token count of 12; a count the degree does not divide is refused naming both.
/// </summary>
public sealed class TokenShardTests
{
    private const int Tokens = 12, Features = 5;

    [Fact]
    public void Slice_gather_and_reduce_scatter_move_rows()
    {
        var full = Enumerable.Range(0, Tokens * Features).Select(i => (float)i).ToArray();
        foreach (int tp in (int[])[1, 2, 3, 4])
        {
            InProcessWorld.Run(tp, group =>
            {
                int rows = Tokens / tp;
                var mine = full.AsSpan(group.Rank * rows * Features, rows * Features).ToArray();
                var replicated = DTensor.FromArray((float[])full.Clone(), Tokens, Features, Placement.Replicate, group);
                group.Counters.Reset();
                var sliced = replicated.Redistribute(Placement.Shard(-2));
                Assert.Equal(0, group.Counters.DataCalls);
                Assert.Equal((rows, Features), (sliced.Tokens, sliced.LocalFeatures));
                Assert.Equal(mine, sliced.LocalSpan.ToArray());

                var gathered = sliced.Redistribute(Placement.Replicate);
                Assert.Equal(1, group.Counters.Calls(CollectiveKind.AllGather));
                Assert.Equal(full, gathered.LocalSpan.ToArray());

                // Every rank's addend is the full value: the sum is tp times it, and each rank keeps its rows.
                var partial = DTensor.FromArray((float[])full.Clone(), Tokens, Features, Placement.Partial(), group);
                var scattered = partial.Redistribute(Placement.Shard(-2));
                Assert.Equal(1, group.Counters.Calls(CollectiveKind.ReduceScatter));
                Assert.Equal(mine.Select(v => v * tp).ToArray(), scattered.LocalSpan.ToArray());
            });
        }
    }

    [Fact]
    public void Tokens_the_degree_does_not_divide_are_refused()
    {
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(5, group =>
            DTensor.FromArray(new float[Tokens * Features], Tokens, Features, Placement.Replicate, group).Redistribute(Placement.Shard(-2))));
        var inner = Assert.IsType<PlacementException>(error.InnerException);
        Assert.StartsWith("Cannot shard the tokens of a [12, 5] value over world", inner.Message);
        Assert.EndsWith(": 12 tokens are not divisible by 5 (sequence parallelism needs a multiple of tp tokens).", inner.Message);
    }
}
