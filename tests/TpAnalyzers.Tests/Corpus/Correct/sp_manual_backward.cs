using System;
using TpCodegen;
using TpCodegen.Collectives;

// Hand-written sequence-parallel block backward (Megatron): with token shards, the row layer's replicated bias sees only
// this rank's tokens of dY, so its gradient is summed over the tensor-parallel group, like the norm's.
public sealed partial class SpBias
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(2048, 512);

    public float[] DownBiasGradient(DTensor hidden, DTensor gradTokens, ProcessGroup tp)
    {
        var gradFull = gradTokens.Redistribute(Placement.Replicate);
        var grads = Down.Backward(hidden, gradFull);
        var bias = new float[512];
        // column sums over this rank's tokens only
        var g = gradTokens.LocalSpan;
        for (int t = 0; t < gradTokens.Tokens; t++)
            for (int f = 0; f < 512; f++) bias[f] += g[t * 512 + f];
        tp.AllReduce(bias);
        _ = grads;
        return bias;
    }

    public void NormGradient(RmsNorm norm, float[] normGrad, ProcessGroup tp) => tp.AllReduce(normGrad);
}
