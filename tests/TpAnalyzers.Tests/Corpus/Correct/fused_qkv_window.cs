using System;
using TpCodegen;

public sealed record MistralCfg(int Hidden = 4096, int Heads = 32, int KvHeads = 8, int HeadDim = 128, int Ffn = 14336, int Window = 4096);

public sealed partial class FusedAttention(MistralCfg c)
{
    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(c.Hidden, (c.Heads + 2 * c.KvHeads) * c.HeadDim, bias: true) { OutputLayout = FeatureLayout.Qkv(c.Heads, c.KvHeads, c.HeadDim) };
    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: false) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim) };
    public RotaryEmbedding Rope { get; } = new(c.HeadDim, theta: 1_000_000);

    public DTensor Forward(DTensor x, SequenceBatch batch, KvCache? cache)
    {
        var parts = Qkv.SplitOutput(Qkv.Forward(x));
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        var attended = CausalAttention.Forward(q, k, v, c.HeadDim, batch, cache, Rope, slidingWindow: c.Window, name: "self_attn");
        return O.Forward(attended);
    }
}

public sealed partial class FusedMlp(MistralCfg c)
{
    [TensorParallel(Split.Column)]
    public Linear GateUp { get; } = new(c.Hidden, 2 * c.Ffn, bias: false) { OutputLayout = FeatureLayout.Fused(("gate", c.Ffn), ("up", c.Ffn)) };
    [TensorParallel(Split.Row)]
    public Linear Down { get; } = new(c.Ffn, c.Hidden, bias: false);

    public DTensor Forward(DTensor x)
    {
        var gu = GateUp.SplitOutput(GateUp.Forward(x));
        return Down.Forward(Ops.Silu(gu[0]) * gu[1]);
    }
}

public sealed class MistralLayer(MistralCfg c)
{
    public RmsNorm InputNorm { get; } = new(c.Hidden, 1e-5f);
    public FusedAttention Attn { get; } = new(c);
    public RmsNorm PostNorm { get; } = new(c.Hidden, 1e-5f);
    public FusedMlp Mlp { get; } = new(c);

    public DTensor Forward(DTensor x, SequenceBatch batch, KvCache? cache)
    {
        var h = x + Attn.Forward(InputNorm.Forward(x), batch, cache);
        return h + Mlp.Forward(PostNorm.Forward(h));
    }
}
