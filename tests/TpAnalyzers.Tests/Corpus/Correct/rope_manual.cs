using System;
using System.Numerics.Tensors;
using TpCodegen;

public sealed record AttnCfg(int Hidden, int Heads, int HeadDim);

public sealed partial class ManualAttention(AttnCfg c)
{
    [TensorParallel(Split.Column)]
    public Linear Q { get; } = new(c.Hidden, c.Heads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "q") };
    [TensorParallel(Split.Column)]
    public Linear K { get; } = new(c.Hidden, c.Heads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "k") };
    [TensorParallel(Split.Column)]
    public Linear V { get; } = new(c.Hidden, c.Heads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "v") };
    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: false) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "o") };

    public RotaryEmbedding Rope { get; } = new(c.HeadDim, theta: 10000);

    public DTensor Forward(DTensor x, int[] positions)
    {
        var q = Q.Forward(x);
        var k = K.Forward(x);
        var v = V.Forward(x);
        int localHeads = q.LocalFeatures / c.HeadDim;
        // rotate each token's local heads in place: rotation is per head, so a shard of whole heads rotates alone
        for (int t = 0; t < q.Tokens; t++)
        {
            Rope.Apply(q.LocalSpan.Slice(t * q.LocalFeatures, q.LocalFeatures), positions[t]);
            Rope.Apply(k.LocalSpan.Slice(t * k.LocalFeatures, k.LocalFeatures), positions[t]);
        }
        var scores = new float[localHeads * q.Tokens * q.Tokens];
        var output = new float[q.Tokens * q.LocalFeatures];
        float scale = 1f / MathF.Sqrt(c.HeadDim);
        for (int h = 0; h < localHeads; h++)
        {
            for (int i = 0; i < q.Tokens; i++)
            {
                var qi = q.LocalSpan.Slice(i * q.LocalFeatures + h * c.HeadDim, c.HeadDim);
                var row = scores.AsSpan((h * q.Tokens + i) * q.Tokens, i + 1);
                for (int j = 0; j <= i; j++)
                    row[j] = TensorPrimitives.Dot(qi, k.LocalSpan.Slice(j * k.LocalFeatures + h * c.HeadDim, c.HeadDim)) * scale;
                TensorPrimitives.SoftMax(row, row);
                var oi = output.AsSpan(i * q.LocalFeatures + h * c.HeadDim, c.HeadDim);
                for (int j = 0; j <= i; j++)
                    TensorPrimitives.MultiplyAdd(v.LocalSpan.Slice(j * v.LocalFeatures + h * c.HeadDim, c.HeadDim), row[j], oi, oi);
            }
        }
        var attended = DTensor.FromArray(output, q.Tokens, q.LocalFeatures, q.Placement, q.Group);
        var heads = Tensor.Reshape(attended.Local, [attended.Tokens, localHeads, c.HeadDim]);
        _ = heads;
        return O.Forward(attended);
    }
}
