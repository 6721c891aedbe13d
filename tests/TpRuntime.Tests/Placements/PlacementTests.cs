using System.Numerics.Tensors;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Tests.Collectives;

namespace TpCodegen.Tests.Placements;

/// <summary>Misuse of a distributed value fails at once, naming both placements; redistribution moves the right data.</summary>
public class PlacementTests
{
    private static Tensor<float> Matrix(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var data = new float[rows * columns];
        for (int i = 0; i < data.Length; i++) data[i] = (float)random.NextDouble();
        return Tensor.Create(data, [rows, columns]);
    }

    [Fact]
    public void Adding_a_replicated_value_to_a_partial_sum_is_refused()
    {
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            var partial = DTensor.FromLocal(Matrix(3, 4, group.Rank), Placement.Partial(), group);
            var residual = DTensor.Replicated(Matrix(3, 4, 9), group);
            _ = partial + residual;
        }));
        var misuse = Assert.IsType<PlacementException>(error.InnerException);
        Assert.Contains("Cannot add a Partial(Sum) value to a Replicate value", misuse.Message);
        Assert.Contains("2 times in all", misuse.Message);
    }

    [Fact]
    public void A_nonlinear_function_of_a_partial_sum_is_refused()
    {
        var error = Assert.Throws<PlacementException>(() =>
            Ops.Silu(DTensor.FromLocal(Matrix(2, 2, 1), Placement.Partial(), SingleRankGroup.Instance)));
        Assert.Contains("Silu of a Partial(Sum) value", error.Message);
    }

    [Fact]
    public void Reading_a_shard_or_a_partial_as_the_full_value_is_refused()
    {
        var group = SingleRankGroup.Instance;
        var partial = DTensor.FromLocal(Matrix(2, 2, 1), Placement.Partial(), group);
        Assert.Contains("addend of the sum", Assert.Throws<PlacementException>(() => partial.ToTensor()).Message);
        var shard = DTensor.FromLocal(Matrix(2, 2, 1), Placement.Shard(-1), group);
        Assert.Contains("Cannot read a Shard(-1) value", Assert.Throws<PlacementException>(() => shard.ToTensor()).Message);
    }

    [Fact]
    public void Multiplying_values_with_different_placements_is_refused()
    {
        var group = SingleRankGroup.Instance;
        var shard = DTensor.FromLocal(Matrix(2, 2, 1), Placement.Shard(1), group);
        var full = DTensor.Replicated(Matrix(2, 2, 2), group);
        Assert.Contains("Cannot multiply a Shard(-1) value by a Replicate value",
            Assert.Throws<PlacementException>(() => shard * full).Message);
    }

    [Fact]
    public void Only_a_feature_shard_multiplies_the_feature_count()
    {
        var groups = InProcessWorld.CreateGroups(2);
        Assert.Equal(8, DTensor.FromArray(new float[12], 3, 4, Placement.Shard(-1), groups[0]).Features);
        Assert.Equal(4, DTensor.FromArray(new float[12], 3, 4, Placement.Shard(0), groups[0]).Features);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Shard_gather_and_reduce_scatter_round_trip_the_full_value(int tp)
    {
        const int tokens = 5;
        int features = 6 * tp;
        var full = Matrix(tokens, features, 42);
        var expected = new float[full.FlattenedLength];
        full.FlattenTo(expected);

        InProcessWorld.Run(tp, group =>
        {
            var replicated = DTensor.Replicated(full, group);
            var shard = replicated.Redistribute(Placement.Shard(-1));
            Assert.Equal((tokens, features / tp), (shard.Tokens, shard.LocalFeatures));
            for (int t = 0; t < tokens; t++)
                Assert.Equal(expected.AsSpan(t * features + group.Rank * (features / tp), features / tp).ToArray(),
                    shard.LocalSpan.Slice(t * (features / tp), features / tp).ToArray());

            var gathered = shard.Redistribute(Placement.Replicate);
            Assert.Equal(expected, gathered.LocalSpan.ToArray());

            // Each rank holds full / tp as its addend: the reduction is the full value again.
            var addend = new float[expected.Length];
            System.Numerics.Tensors.TensorPrimitives.Multiply(expected, 1f / tp, addend);
            var partial = DTensor.FromArray(addend, tokens, features, Placement.Partial(), group);
            var scattered = partial.Redistribute(Placement.Shard(-1));
            CollectiveInputs.AssertClose(shard.LocalSpan, scattered.LocalSpan, "reduce-scattered value");
            CollectiveInputs.AssertClose(expected, partial.Redistribute(Placement.Replicate).LocalSpan, "all-reduced value");
        });
    }
}
