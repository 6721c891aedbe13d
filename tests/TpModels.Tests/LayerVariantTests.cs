using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Parallel;

namespace TpCodegen.Models.Tests;

/// <summary>
/// Every generated layer variant, on in-process ranks, equals the dense layer, and runs exactly the collectives its
/// plan lists. Shapes are not powers of two; tp runs over 1..4.
/// </summary>
public sealed class LayerVariantTests
{
    // (tokens, in, out): every split dimension divides by 1, 2, 3 and 4.
    private static readonly (int Tokens, int In, int Out)[] s_shapes = [(5, 12, 36), (33, 96, 48), (1, 12, 36)];
    private static readonly int[] s_degrees = [1, 2, 3, 4];

    public static TheoryData<string, bool> Variants()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in new[] { "Column", "ColumnGather", "ColumnSkipBias", "Row", "RowScatterInput", "RowPartial", "RowSkipBias", "RowPartialSkipBias" })
        {
            data.Add(name, true);
            data.Add(name, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Sharded_layer_equals_dense(string variant, bool bias)
    {
        foreach (var (tokens, inFeatures, outFeatures) in s_shapes)
        {
            var dense = Create(variant, inFeatures, outFeatures, bias);
            var layer = DenseLayer(dense);
            var x = Reference.Input(tokens, inFeatures, seed: tokens + inFeatures);
            var expected = Reference.Linear(x, layer, tokens);

            foreach (int tp in s_degrees)
            {
                var plan = dense.GetPlan(tp, tokens);
                var results = InProcessWorld.Run(tp, group =>
                {
                    var module = Create(variant, inFeatures, outFeatures, bias);
                    ((dynamic)module).ShardFrom((dynamic)dense, group);
                    var shard = DenseLayer(module).Shard!;
                    var full = DTensor.FromArray((float[])x.Clone(), tokens, inFeatures, Placement.Replicate, group);
                    var input = shard.InputPlacement == PlacementKind.ShardLast ? full.Redistribute(Placement.Shard(-1)) : full;

                    group.Counters.Reset();
                    var y = DenseLayer(module).Forward(input);
                    var counted = (AllReduce: group.Counters.Calls(CollectiveKind.AllReduce), AllGather: group.Counters.Calls(CollectiveKind.AllGather),
                                   ReduceBytes: group.Counters.Bytes(CollectiveKind.AllReduce), GatherBytes: group.Counters.Bytes(CollectiveKind.AllGather));
                    Assert.Equal(Placement.FromKind(shard.OutputPlacement), y.Placement);
                    return (Output: Finish(y, shard), counted);
                });

                for (int rank = 0; rank < tp; rank++)
                {
                    Reference.AssertClose(expected, results[rank].Output, $"{variant} bias={bias} [{tokens}, {inFeatures} -> {outFeatures}] tp={tp} rank {rank}");
                    var counted = results[rank].counted;
                    Assert.Equal(plan.Count(CollectiveKind.AllReduce), counted.AllReduce);
                    Assert.Equal(plan.Count(CollectiveKind.AllGather), counted.AllGather);
                    Assert.Equal(plan.Bytes(CollectiveKind.AllReduce), counted.ReduceBytes);
                    Assert.Equal(plan.Bytes(CollectiveKind.AllGather), counted.GatherBytes);
                }
            }
        }
    }

    [Fact]
    public void Layer_built_from_a_checkpoint_equals_dense()
    {
        const int tokens = 5, inFeatures = 12, outFeatures = 36;
        var dense = new RowModule(inFeatures, outFeatures, bias: true);
        var checkpoint = new ArrayCheckpoint();
        checkpoint.Add("blocks.0.Layer.weight", dense.Layer.Weight, inFeatures, outFeatures);
        checkpoint.Add("blocks.0.Layer.bias", dense.Layer.Bias!, 1, outFeatures);
        var x = Reference.Input(tokens, inFeatures, seed: 3);
        var expected = Reference.Linear(x, dense.Layer, tokens);

        var results = InProcessWorld.Run(3, group =>
        {
            var module = new RowModule(inFeatures, outFeatures, bias: true);
            module.ShardFrom(checkpoint, group, prefix: "blocks.0.");
            var input = DTensor.FromArray(x, tokens, inFeatures, Placement.Replicate, group).Redistribute(Placement.Shard(-1));
            return module.Layer.Forward(input).ToTensor().ToArray();
        });
        foreach (var result in results) Reference.AssertClose(expected, result, "row layer from checkpoint, tp=3");
    }

    [Fact]
    public void Shard_refuses_an_input_with_the_wrong_placement()
    {
        var dense = new RowModule(12, 36, bias: true);
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            var module = new RowModule(12, 36, bias: true);
            module.ShardFrom(dense, group);
            module.Layer.Forward(DTensor.FromArray(new float[12], 1, 12, Placement.Replicate, group));
        }));
        Assert.IsType<PlacementException>(error.InnerException);
        Assert.Contains("Row layer 'Layer' takes a Shard(-1) input but got Replicate", error.InnerException!.Message);
    }

    internal static ITensorParallelModule Create(string variant, int i, int o, bool bias) => variant switch
    {
        "Column" => new ColumnModule(i, o, bias),
        "ColumnGather" => new ColumnGatherModule(i, o, bias),
        "ColumnSkipBias" => new ColumnSkipBiasModule(i, o, bias),
        "Row" => new RowModule(i, o, bias),
        "RowScatterInput" => new RowScatterInputModule(i, o, bias),
        "RowPartial" => new RowPartialModule(i, o, bias),
        "RowSkipBias" => new RowSkipBiasModule(i, o, bias),
        "RowPartialSkipBias" => new RowPartialSkipBiasModule(i, o, bias),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
    };

    internal static Linear DenseLayer(ITensorParallelModule module) => (Linear)((dynamic)module).Layer;

    /// <summary>
    /// Turns a layer's output into the full dense output on every rank, the way a caller would: adds a skipped bias
    /// where its placement says, reduces a partial sum, gathers a shard.
    /// </summary>
    private static float[] Finish(DTensor y, ShardedLinear shard)
    {
        var skipped = shard.SkippedBias;
        if (y.Placement is PartialPlacement) y = y.Redistribute(Placement.Replicate);
        if (!skipped.IsEmpty)
        {
            var local = y.LocalSpan;
            for (int t = 0; t < y.Tokens; t++)
                for (int j = 0; j < y.LocalFeatures; j++) local[t * y.LocalFeatures + j] += skipped.Span[j];
        }
        return y.FullTensor().ToArray();
    }

    /// <summary>A checkpoint over in-memory arrays, reading only the requested block.</summary>
    private sealed class ArrayCheckpoint : ICheckpointShardSource
    {
        private readonly Dictionary<string, (float[] Data, int Rows, int Columns)> _tensors = new(StringComparer.Ordinal);

        public void Add(string name, float[] data, int rows, int columns) => _tensors.Add(name, (data, rows, columns));

        public bool Contains(string name) => _tensors.ContainsKey(name);

        public void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination)
        {
            var (data, r, c) = _tensors[name];
            Assert.Equal((rows, columns), (r, c));
            for (int row = 0; row < rowCount; row++)
                data.AsSpan((rowStart + row) * c + columnStart, columnCount).CopyTo(destination.Slice(row * columnCount, columnCount));
        }
    }
}
