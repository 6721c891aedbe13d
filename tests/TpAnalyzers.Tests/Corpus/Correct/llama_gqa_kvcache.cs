using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using TpCodegen;
using TpCodegen.Collectives;

public sealed record Cfg(int Hidden, int Heads, int KvHeads, int HeadDim, int Intermediate, int Layers, int Vocab, float Eps = 1e-5f);

public sealed partial class GqaAttention(Cfg c)
{
    [TensorParallel(Split.Column)]
    public Linear Q { get; } = new(c.Hidden, c.Heads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "q") };
    [TensorParallel(Split.Column)]
    public Linear K { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim, "k") };
    [TensorParallel(Split.Column)]
    public Linear V { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim, "v") };
    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: false) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "o") };

    private readonly RotaryEmbedding _rope = new(c.HeadDim, theta: 500000);

    public DTensor Forward(DTensor x, SequenceBatch batch, KvCache? cache)
    {
        var q = Q.Forward(x);
        var k = K.Forward(x);
        var v = V.Forward(x);
        // local heads on this rank
        int localHeads = q.LocalFeatures / c.HeadDim;
        int localKv = k.LocalFeatures / c.HeadDim;
        var qHeads = Tensor.Reshape(q.Local, [q.Tokens, localHeads, c.HeadDim]);
        if (localHeads % localKv != 0) throw new InvalidOperationException("bad grouping");
        var attended = CausalAttention.Forward(q, k, v, c.HeadDim, batch, cache, _rope);
        return O.Forward(attended);
    }
}

public sealed partial class SwiGlu(Cfg c)
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(c.Hidden, c.Intermediate, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(c.Hidden, c.Intermediate, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(c.Intermediate, c.Hidden, bias: false);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}

public sealed class DecoderLayer(Cfg c)
{
    public RmsNorm AttnNorm { get; } = new(c.Hidden, c.Eps);
    public GqaAttention Attn { get; } = new(c);
    public RmsNorm MlpNorm { get; } = new(c.Hidden, c.Eps);
    public SwiGlu Mlp { get; } = new(c);

    public DTensor Forward(DTensor x, SequenceBatch batch, KvCache? cache)
    {
        var h = x + Attn.Forward(AttnNorm.Forward(x), batch, cache);
        return h + Mlp.Forward(MlpNorm.Forward(h));
    }
}

public sealed partial class LlamaLm
{
    private readonly Cfg _c;
    private readonly DecoderLayer[] _layers;
    private readonly KvCache[] _caches;

    public LlamaLm(Cfg c, int tp, int maxSlots, int maxLen)
    {
        _c = c;
        _layers = Enumerable.Range(0, c.Layers).Select(_ => new DecoderLayer(c)).ToArray();
        int kvPerRank = Math.Max(1, c.KvHeads / tp);
        _caches = Enumerable.Range(0, c.Layers).Select(_ => new KvCache(maxSlots, maxLen, kvPerRank, c.HeadDim)).ToArray();
    }

    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(32000, 4096);
    [TensorParallel(Split.Vocab)] public Linear LmHead { get; } = new(4096, 32000, bias: false);
    public RmsNorm FinalNorm { get; } = new(4096);

    public int[] Step(ReadOnlySpan<int> ids, SequenceBatch batch, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        for (int i = 0; i < _layers.Length; i++)
            h = _layers[i].Forward(h, batch, _caches[i]);
        var last = Ops.SelectRows(FinalNorm.Forward(h), LastRows(batch));
        var logits = LmHead.Forward(last);
        return VocabParallel.Argmax(logits);
    }

    private static int[] LastRows(SequenceBatch batch) => batch.Sequences.Select(s => s.Start + s.Length - 1).ToArray();

    public List<int> Generate(int[] prompt, int maxNew, ProcessGroup tp)
    {
        var output = new List<int>(prompt);
        foreach (var cache in _caches) cache.Reset(0);
        var next = Step(prompt, SequenceBatch.Prefill(prompt.Length), tp);
        for (int step = 0; step < maxNew; step++)
        {
            output.Add(next[0]);
            if (next[0] == 2) break; // EOS: every rank chose the same id
            next = Step([next[0]], SequenceBatch.Decode([0], [output.Count - 1]), tp);
        }
        if (tp.Rank == 0) Console.WriteLine(string.Join(' ', output));
        return output;
    }
}
