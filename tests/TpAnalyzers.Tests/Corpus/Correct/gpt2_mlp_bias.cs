using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class Gpt2Attention(int hidden, int heads)
{
    private readonly int _headDim = hidden / heads;

    [TensorParallel(Split.Column)]
    public Linear CAttn { get; } = new(hidden, 3 * hidden) { OutputLayout = FeatureLayout.Qkv(heads, heads, hidden / heads) };
    [TensorParallel(Split.Row)]
    public Linear CProj { get; } = new(hidden, hidden) { InputLayout = FeatureLayout.Heads(heads, hidden / heads) };

    public DTensor Forward(DTensor x, SequenceBatch batch, KvCache? cache)
    {
        var parts = CAttn.SplitOutput(CAttn.Forward(x));
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        return CProj.Forward(CausalAttention.Forward(q, k, v, _headDim, batch, cache));
    }
}

public sealed partial class Gpt2Mlp(int hidden)
{
    [TensorParallel(Split.Column)] public Linear CFc { get; } = new(hidden, 4 * hidden);
    [TensorParallel(Split.Row)] public Linear CProj { get; } = new(4 * hidden, hidden);
    public DTensor Forward(DTensor x) => CProj.Forward(Ops.Gelu(CFc.Forward(x)));
}

public sealed class Gpt2Block(int hidden, int heads)
{
    private readonly LayerNorm _ln1 = new(hidden);
    private readonly LayerNorm _ln2 = new(hidden);
    private readonly Gpt2Attention _attn = new(hidden, heads);
    private readonly Gpt2Mlp _mlp = new(hidden);

    public DTensor Forward(DTensor x, SequenceBatch batch, KvCache? cache)
    {
        x = x + _attn.Forward(_ln1.Forward(x), batch, cache);
        x = x + _mlp.Forward(_ln2.Forward(x));
        return x;
    }
}

public sealed partial class Gpt2(int vocab = 50257, int hidden = 768, int heads = 12, int layers = 12)
{
    [TensorParallel(Split.Vocab)] public Embedding Wte { get; } = new(vocab, hidden);
    public LayerNorm LnF { get; } = new(hidden);
    private readonly Gpt2Block[] _blocks = Enumerable.Range(0, layers).Select(_ => new Gpt2Block(hidden, heads)).ToArray();
    private readonly float[] _wpe = new float[1024 * hidden];

    public DTensor Hidden(int[] ids, SequenceBatch batch, ProcessGroup group)
    {
        var x = Wte.Forward(ids, group);
        var pos = DTensor.FromArray(Positions(batch, hidden), ids.Length, hidden, Placement.Replicate, group);
        x = x + pos;
        foreach (var block in _blocks) x = block.Forward(x, batch, null);
        return LnF.Forward(x);
    }

    private float[] Positions(SequenceBatch batch, int width)
    {
        var result = new float[batch.Tokens * width];
        for (int t = 0; t < batch.Tokens; t++)
            _wpe.AsSpan(batch.Positions[t] * width, width).CopyTo(result.AsSpan(t * width, width));
        return result;
    }

    // tied head: logits stay split by vocabulary
    public int[] Greedy(int[] ids, ProcessGroup group)
    {
        var h = Hidden(ids, SequenceBatch.Prefill(ids.Length), group);
        var logits = Wte.Logits(Ops.SelectRows(h, [ids.Length - 1]));
        return VocabParallel.Argmax(logits);
    }
}
