using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Parallel;

namespace TpCodegen.Models.Tests;

/// <summary>The author's dense Forward, run sharded: equal to dense, at the cost of exactly one all-reduce.</summary>
public sealed class MlpBlockTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int tp in new[] { 1, 2, 3, 4 })
            foreach (var (tokens, hidden, intermediate) in new[] { (5, 12, 36), (33, 48, 96), (1, 12, 36) })
                data.Add(tp, tokens, hidden, intermediate);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Llama_mlp_sharded_equals_dense_with_one_all_reduce(int tp, int tokens, int hidden, int intermediate)
    {
        var dense = new LlamaMlp(hidden, intermediate);
        var x = Reference.Input(tokens, hidden, seed: 7);
        var gate = Reference.Map(Reference.Linear(x, dense.Gate, tokens), Reference.Silu);
        var expected = Reference.Linear(Reference.Multiply(gate, Reference.Linear(x, dense.Up, tokens)), dense.Down, tokens);
        // The dense module's own Forward agrees with the reference too.
        Reference.AssertClose(expected, dense.Forward(DTensor.FromArray(x, tokens, hidden, Placement.Replicate, SingleRankGroup.Instance)).ToTensor().ToArray(), "dense Forward");

        var results = InProcessWorld.Run(tp, group =>
        {
            var mlp = new LlamaMlp(hidden, intermediate);
            mlp.ShardFrom(dense, group);
            group.Counters.Reset();
            var y = mlp.Forward(DTensor.FromArray(x, tokens, hidden, Placement.Replicate, group));
            Assert.Equal(Placement.Replicate, y.Placement);
            return (y.ToTensor().ToArray(), group.Counters.Calls(CollectiveKind.AllReduce), group.Counters.Calls(CollectiveKind.AllGather),
                    group.Counters.DataCalls, group.Counters.Bytes(CollectiveKind.AllReduce));
        });

        var plan = dense.GetPlan(tp, tokens);
        Assert.Equal(1, plan.Count(CollectiveKind.AllReduce));
        foreach (var (output, allReduces, allGathers, dataCalls, reduceBytes) in results)
        {
            Reference.AssertClose(expected, output, $"LlamaMlp tp={tp} tokens={tokens}");
            Assert.Equal(1, allReduces);
            Assert.Equal(0, allGathers);
            Assert.Equal(1, dataCalls);
            Assert.Equal(plan.Bytes(CollectiveKind.AllReduce), reduceBytes);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Gpt_mlp_with_biases_sharded_equals_dense(int tp)
    {
        const int tokens = 7, hidden = 24;
        var dense = new GptMlp(hidden);
        var x = Reference.Input(tokens, hidden, seed: 11);
        var expected = Reference.Linear(Reference.Map(Reference.Linear(x, dense.Fc, tokens), Reference.Gelu), dense.Proj, tokens);

        var results = InProcessWorld.Run(tp, group =>
        {
            var mlp = new GptMlp(hidden);
            mlp.ShardFrom(dense, group);
            return mlp.Forward(DTensor.FromArray(x, tokens, hidden, Placement.Replicate, group)).ToTensor().ToArray();
        });
        foreach (var output in results) Reference.AssertClose(expected, output, $"GptMlp tp={tp}");
    }

    [Fact]
    public void Plan_lists_shapes_and_collectives()
    {
        var plan = new LlamaMlp(4096, 11008).GetPlan(tp: 2, tokens: 512);
        Assert.Equal(["Gate", "Up", "Down"], plan.Layers.Select(l => l.LayerName));
        Assert.Equal((4096, 5504), (plan.Layers[0].LocalInFeatures, plan.Layers[0].LocalOutFeatures));
        Assert.Equal((5504, 4096), (plan.Layers[2].LocalInFeatures, plan.Layers[2].LocalOutFeatures));
        Assert.Equal(512L * 4096 * sizeof(float), plan.Bytes(CollectiveKind.AllReduce));
        string table = plan.ToString();
        Assert.Contains("Down  | Row", table);
        Assert.Contains("AllReduce x1 (8 MiB)", table);
    }

    [Fact]
    public void Non_divisible_degree_is_a_clear_error_from_the_plan_with_constant_shapes()
    {
        var error = Assert.Throws<TensorParallelDegreeException>(() => new ConstantDown().GetPlan(tp: 3, tokens: 1));
        Assert.Equal("Row layer 'Down': input features 11008 is not divisible by tp=3; valid tp: 1, 2, 4, 8, 16, 32, 43, 64, ...", error.Message);
        Assert.Equal(11008, error.Size);
        Assert.Contains(86, error.ValidDegrees);
    }

    [Fact]
    public void Non_divisible_degree_is_a_clear_error_when_sharding_runtime_shapes()
    {
        var dense = new LlamaMlp(12, 40);
        var failure = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(3, group => new LlamaMlp(12, 40).ShardFrom(dense, group)));
        var error = Assert.IsType<TensorParallelDegreeException>(failure.InnerException);
        Assert.Equal("Column layer 'Gate': output features 40 is not divisible by tp=3; valid tp: 1, 2, 4, 5, 8, 10, 20, 40", error.Message);
    }
}
