using System;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class SpAttention(int hidden, int heads, int headDim)
{
    [TensorParallel(Split.Column)] public Linear Q { get; } = new(hidden, heads * headDim) { OutputLayout = FeatureLayout.Heads(heads, headDim) };
    [TensorParallel(Split.Column)] public Linear K { get; } = new(hidden, heads * headDim) { OutputLayout = FeatureLayout.Heads(heads, headDim) };
    [TensorParallel(Split.Column)] public Linear V { get; } = new(hidden, heads * headDim) { OutputLayout = FeatureLayout.Heads(heads, headDim) };
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear O { get; } = new(heads * headDim, hidden) { InputLayout = FeatureLayout.Heads(heads, headDim) };

    // The partial sum goes on to a reduce-scatter over the tokens: the method says so.
    [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
    public DTensor Forward(DTensor full, SequenceBatch batch) =>
        O.Forward(CausalAttention.Forward(Q.Forward(full), K.Forward(full), V.Forward(full), headDim, batch));
}

public sealed partial class SpMlp2(int hidden, int ffn)
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, ffn);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(ffn, hidden);
    [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
    public DTensor Forward(DTensor full) => Down.Forward(Ops.Gelu(Up.Forward(full)));
}

public sealed class SpBlock(int hidden, int heads, int headDim, int ffn)
{
    private readonly RmsNorm _n1 = new(hidden), _n2 = new(hidden);
    private readonly SpAttention _attn = new(hidden, heads, headDim);
    private readonly SpMlp2 _mlp = new(hidden, ffn);

    public DTensor Forward(DTensor shard, SequenceBatch batch)
    {
        DTensor h;
        using (var g = _n1.Forward(shard).GatherTokens())
            h = shard + _attn.Forward(g.Value, batch).ReduceScatterTokens();
        using (var g = _n2.Forward(h).GatherTokens())
            return h + _mlp.Forward(g.Value).ReduceScatterTokens();
    }
}

public sealed class SpModel2(int layers)
{
    private readonly SpBlock[] _blocks = CreateBlocks(layers);
    private readonly RmsNorm _final = new(512);

    private static SpBlock[] CreateBlocks(int n)
    {
        var result = new SpBlock[n];
        for (int i = 0; i < n; i++) result[i] = new SpBlock(512, 8, 64, 2048);
        return result;
    }

    public DTensor Forward(DTensor embedded, SequenceBatch batch)
    {
        var x = embedded.Redistribute(Placement.Shard(-2));
        foreach (var b in _blocks) x = b.Forward(x, batch);
        return _final.Forward(x).Redistribute(Placement.Replicate);
    }
}
