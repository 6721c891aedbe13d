using System;
using TpCodegen;
using TpCodegen.Collectives;

public sealed record LCfg(int Hidden, int Heads, int KvHeads, int HeadDim, int Ffn, int Vocab);

public sealed partial class Attn8(LCfg c)
{
    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(c.Hidden, (c.Heads + 2 * c.KvHeads) * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.Qkv(c.Heads, c.KvHeads, c.HeadDim) };
    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: false) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim) };
}

public sealed partial class KvSplit(int hidden, int heads, int kvHeads, int headDim)
{
    [TensorParallel(Split.Column)]
    public Linear K { get; } = new(hidden, kvHeads * headDim) { OutputLayout = FeatureLayout.KeyValueHeads(kvHeads, headDim) };
    [TensorParallel(Split.Column)]
    public Linear Q { get; } = new(hidden, heads * headDim) { OutputLayout = FeatureLayout.Heads(heads, headDim) };
}

public sealed partial class GateUpFused(int hidden, int ffn)
{
    [TensorParallel(Split.Column)]
    public Linear GateUp { get; } = new(hidden, ffn + ffn) { OutputLayout = FeatureLayout.Fused(("gate", ffn), ("up", ffn)) };
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(ffn, hidden);

    public DTensor Forward(DTensor x)
    {
        var gu = GateUp.SplitOutput(GateUp.Forward(x));
        return Down.Forward(Ops.Silu(gu[0]) * gu[1]);
    }
}

public sealed partial class Vocab50k(int vocab, int hidden)
{
    [TensorParallel(Split.Vocab)] public Embedding Wte { get; } = new(vocab, hidden);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(hidden, vocab, bias: false);
}

public static class Models8
{
    private const int Tp = 8;
    private const int RanksPerHost = 8;

    public static void Main() => Launcher.Run(16, world =>
    {
        using var mesh = DeviceMesh.Create(world, 2, Tp);
        // Llama-3-8B: 32 heads, 8 KV heads, 14336 FFN, 128256 vocab
        var attn = new Attn8(new LCfg(4096, 32, 8, 128, 14336, 128256));
        // Llama-2-70B style GQA with 8 KV heads at tp=8; and Mistral 8 kv heads
        var kv = new KvSplit(8192, 64, 8, 128);
        // tp > kv heads: KV heads replicated, allowed for column layers
        var kv2 = new KvSplit(2048, 32, 4, 64);
        var mlp = new GateUpFused(4096, 14336);
        // GPT-2's vocabulary: 50257 is padded by the vocab split
        var voc = new Vocab50k(50257, 768);
    });
}
