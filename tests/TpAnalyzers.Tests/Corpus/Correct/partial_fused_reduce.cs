using System;
using TpCodegen;
using TpCodegen.Collectives;

// Megatron-style: attention and MLP run in parallel (GPT-J / PaLM), each row layer leaves a partial sum and ONE all-reduce
public sealed partial class ParallelBlock(int hidden, int heads)
{
    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(hidden, 3 * hidden, bias: false) { OutputLayout = FeatureLayout.Qkv(heads, heads, hidden / heads) };
    [TensorParallel(Split.Row, ReduceResults = false)]
    public Linear Out { get; } = new(hidden, hidden, bias: false) { InputLayout = FeatureLayout.Heads(heads, hidden / heads) };
    [TensorParallel(Split.Column)] public Linear Fc { get; } = new(hidden, 4 * hidden, bias: false);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Proj { get; } = new(4 * hidden, hidden, bias: false);
    public LayerNorm Norm { get; } = new(hidden);

    private DTensor AttentionPartial(DTensor h, SequenceBatch batch)
    {
        var qkv = Qkv.SplitOutput(Qkv.Forward(h));
        return Out.Forward(CausalAttention.Forward(qkv[0], qkv[1], qkv[2], hidden / heads, batch));
    }

    private DTensor MlpPartial(DTensor h) => Proj.Forward(Ops.Gelu(Fc.Forward(h)));

    public DTensor Forward(DTensor x, SequenceBatch batch)
    {
        var h = Norm.Forward(x);
        var sum = AttentionPartial(h, batch) + MlpPartial(h);   // partial + partial stays partial
        return x + Ops.AllReduce(sum);
    }
}

public static class ParallelStack
{
    public static DTensor Run(ParallelBlock[] blocks, DTensor x, SequenceBatch batch)
    {
        for (var i = 0; i < blocks.Length; i++)
        {
            var next = blocks[i].Forward(x, batch);
            x = next;
        }
        return x;
    }
}
