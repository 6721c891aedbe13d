using TpCodegen.Collectives.InProcess;
using TpCodegen.Parallel;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>Head- and segment-aware splits: which features each rank owns, and the shards' outputs against a dense double-precision reference.</summary>
public class FeatureLayoutTests
{
    [Fact]
    public void Fused_qkv_gives_each_rank_its_heads_of_every_segment()
    {
        var layout = FeatureLayout.Qkv(heads: 6, kvHeads: 3, headDim: 5);
        var blocks = layout.LocalBlocks("Qkv", Split.Column, rank: 1, tp: 3);
        Assert.Equal([(10, 10), (35, 5), (50, 5)], blocks.Select(b => (b.Start, b.Length)));
        Assert.Equal(["q", "k", "v"], blocks.Select(b => b.Segment.Name));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(5, 2)]
    public void Key_value_heads_are_replicated_when_the_degree_exceeds_them(int rank, int kvHead)
    {
        // 6 query heads, 3 KV heads, tp = 6: each rank one query head, KV head r / 2 (query heads 2h, 2h+1 share KV head h).
        var blocks = FeatureLayout.Qkv(6, 3, 4).LocalBlocks("Qkv", Split.Column, rank, tp: 6);
        Assert.Equal(rank * 4, blocks[0].Start);
        Assert.Equal(24 + kvHead * 4, blocks[1].Start);
        Assert.Equal(36 + kvHead * 4, blocks[2].Start);
    }

    [Fact]
    public void A_degree_that_would_cut_a_head_names_the_layer_the_counts_and_the_valid_degrees()
    {
        var error = Assert.Throws<TensorParallelDegreeException>(() => FeatureLayout.Qkv(6, 3, 4).LocalBlocks("Qkv", Split.Column, 0, tp: 4));
        Assert.Equal("Column layer 'Qkv': 6 q heads of 4 (segment q of q|k|v, split per segment) cannot be split over tp=4: a head is never cut, so tp must divide the head count; valid tp: 1, 3, 6", error.Message);
        Assert.Equal([1, 3, 6], error.ValidDegrees);

        var kv = Assert.Throws<TensorParallelDegreeException>(() => FeatureLayout.KeyValueHeads(4, 8, "k").LocalBlocks("K", Split.Column, 0, tp: 6));
        Assert.Equal("Column layer 'K': 4 k heads of 8 cannot be split over tp=6: tp must divide the 4 heads or be a multiple of them (then each head is replicated); valid tp: 1, 2, 4, 8, 12, 16, 20, 24, ...", kv.Message);
    }

    [Fact]
    public void A_row_split_never_replicates_a_head()
    {
        var error = Assert.Throws<TensorParallelDegreeException>(() => FeatureLayout.Heads(2, 8).LocalBlocks("O", Split.Row, 0, tp: 4));
        Assert.Contains("valid tp: 1, 2", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void Fused_qkv_shard_outputs_its_heads_of_the_dense_projection(int tp)
    {
        const int hidden = 13, heads = 6, kvHeads = 3, headDim = 5, tokens = 7;
        var dense = new FusedQkvModule(hidden, heads, kvHeads, headDim);
        var x = Reference.Input(tokens, hidden, seed: 3);
        var full = Reference.Linear(x, dense.Qkv, tokens);
        int width = dense.Qkv.OutFeatures;
        var outputs = new float[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var module = new FusedQkvModule(hidden, heads, kvHeads, headDim);
            module.ShardFrom(dense, group);
            outputs[group.Rank] = module.Forward(DTensor.FromArray(x, tokens, hidden, Placement.Replicate, group)).LocalSpan.ToArray();
        });
        for (int rank = 0; rank < tp; rank++)
        {
            var blocks = dense.Qkv.OutputLayout.LocalBlocks("Qkv", Split.Column, rank, tp);
            int local = blocks.Sum(b => b.Length);
            var expected = new float[tokens * local];
            for (int t = 0; t < tokens; t++)
            {
                int column = 0;
                foreach (var block in blocks)
                {
                    full.AsSpan(t * width + block.Start, block.Length).CopyTo(expected.AsSpan(t * local + column));
                    column += block.Length;
                }
            }
            Reference.AssertClose(expected, outputs[rank], $"rank {rank} of {tp}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void Head_row_split_equals_the_dense_layer(int tp)
    {
        const int heads = 6, headDim = 3, hidden = 11, tokens = 5;
        var dense = new HeadRowModule(heads, headDim, hidden);
        var x = Reference.Input(tokens, heads * headDim, seed: 5);
        var expected = Reference.Linear(x, dense.O, tokens);
        var outputs = new float[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var module = new HeadRowModule(heads, headDim, hidden);
            module.ShardFrom(dense, group);
            var input = DTensor.FromArray(x, tokens, heads * headDim, Placement.Replicate, group).Redistribute(Placement.Shard(-1));
            outputs[group.Rank] = module.Forward(input).ToTensor().ToArray();
        });
        Assert.All(outputs, output => Reference.AssertClose(expected, output, $"tp={tp}"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Fused_gate_up_loads_from_separate_tensors_with_the_same_numbers(int tp)
    {
        const int hidden = 9, intermediate = 15, tokens = 4;
        var dense = new FusedGateUpModule(hidden, intermediate);
        // A checkpoint that stores gate and up apart, as Hugging Face does; the fused layer reads each segment from its tensor.
        var weight = dense.GateUp.Weight;
        var bias = dense.GateUp.Bias!;
        float[] Columns(float[] source, int rows, int start) =>
            Enumerable.Range(0, rows).SelectMany(r => source.AsSpan(r * 2 * intermediate + start, intermediate).ToArray()).ToArray();
        var source = new ArraySource(new()
        {
            ["GateUp.gate.weight"] = (hidden, intermediate, Columns(weight, hidden, 0)),
            ["GateUp.up.weight"] = (hidden, intermediate, Columns(weight, hidden, intermediate)),
            ["GateUp.gate.bias"] = (1, intermediate, bias[..intermediate]),
            ["GateUp.up.bias"] = (1, intermediate, bias[intermediate..]),
        });
        var x = Reference.Input(tokens, hidden, seed: 8);
        var fromDense = new float[tp][];
        var fromFile = new float[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var a = new FusedGateUpModule(hidden, intermediate);
            a.ShardFrom(dense, group);
            var b = new FusedGateUpModule(hidden, intermediate);
            b.ShardFrom(source, group);
            var input = DTensor.FromArray(x, tokens, hidden, Placement.Replicate, group);
            fromDense[group.Rank] = a.Forward(input).LocalSpan.ToArray();
            fromFile[group.Rank] = b.Forward(input).LocalSpan.ToArray();
        });
        for (int rank = 0; rank < tp; rank++) Assert.Equal(fromDense[rank], fromFile[rank]);
    }
}

/// <summary>A checkpoint over arrays: name -> [rows, columns] row-major.</summary>
internal sealed class ArraySource(Dictionary<string, (int Rows, int Columns, float[] Values)> tensors) : ICheckpointShardSource
{
    public bool Contains(string name) => tensors.ContainsKey(name);

    public void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination)
    {
        var (r, c, values) = tensors[name];
        Assert.Equal((r, c), (rows, columns));
        for (int i = 0; i < rowCount; i++)
            values.AsSpan((rowStart + i) * c + columnStart, columnCount).CopyTo(destination.Slice(i * columnCount, columnCount));
    }
}
