using TpCodegen.Training;
using static TpCodegen.Tests.Training.GradientCheck;

namespace TpCodegen.Tests.Training;

/// <summary>
/// Every op a model's Forward uses records a gradient that matches finite differences, on small shapes that are not
/// powers of two: element-wise ops, norms (inputs and weights), dense linear layers (input, weight, bias), embedding
/// lookups and tied heads (the table), and causal attention with grouped-query heads, rotary embeddings, two sequences
/// and a sliding window (queries, keys, values).
/// </summary>
public sealed class OpGradientTests
{
    private static OpInput In(string name, int tokens, int features, int seed, double scale = 1) =>
        new(name, Random(tokens * features, seed, scale), tokens, features);

    [Fact]
    public void Silu_gelu_relu_add_and_multiply()
    {
        Run("silu", [In("x", 3, 5, 1, 3)], [], t => Ops.Silu(t[0]));
        Run("gelu", [In("x", 3, 5, 2, 3)], [], t => Ops.Gelu(t[0]));
        // Values away from the kink at 0, where the finite difference of ReLU is exact.
        var relu = In("x", 3, 5, 3);
        for (int i = 0; i < relu.Values.Length; i++) relu.Values[i] += MathF.Sign(relu.Values[i]) * 0.1f;
        Run("relu", [relu], [], t => Ops.Relu(t[0]));
        Run("add", [In("a", 3, 7, 4), In("b", 3, 7, 5)], [], t => t[0] + t[1]);
        Run("multiply", [In("a", 3, 7, 6), In("b", 3, 7, 7)], [], t => t[0] * t[1]);
        Run("residual", [In("a", 3, 7, 8)], [], t => t[0] + Ops.Silu(t[0]) * t[0]);
        Run("select rows", [In("x", 5, 3, 9)], [], t => Ops.SelectRows(t[0], [4, 1, 1]));
    }

    [Fact]
    public void Norms()
    {
        var rms = new RmsNorm(7, eps: 1e-5f);
        Random(7, 10).CopyTo(rms.Weight, 0);
        Run("rmsnorm", [In("x", 3, 7, 11)], [LayerParameters.Of(rms)], t => rms.Forward(t[0]));
        var layer = new LayerNorm(7);
        Random(7, 12).CopyTo(layer.Weight, 0);
        Random(7, 13).CopyTo(layer.Bias, 0);
        Run("layernorm", [In("x", 3, 7, 14)], [.. LayerParameters.Of(layer)], t => layer.Forward(t[0]));
    }

    [Fact]
    public void Dense_linear()
    {
        var linear = new Linear(6, 5, bias: true, seed: 3);
        Run("linear", [In("x", 4, 6, 15)], [.. LayerParameters.Of(linear)], t => linear.Forward(t[0]));
        var fused = new Linear(6, 7, bias: false, seed: 4) { OutputLayout = FeatureLayout.Fused(("a", 3), ("b", 4)) };
        Run("split output", [In("x", 4, 6, 16)], [.. LayerParameters.Of(fused)], t =>
        {
            var parts = fused.SplitOutput(fused.Forward(t[0]));
            return Ops.Silu(parts[1]);
        });
    }

    [Fact]
    public void Embedding_lookup_and_tied_head()
    {
        var embedding = new Embedding(11, 5, seed: 5);
        int[] ids = [3, 0, 10, 3];
        Run("lookup", [], [LayerParameters.Of(embedding)], _ => embedding.Forward(ids));
        Run("tied head", [In("h", 3, 5, 17)], [LayerParameters.Of(embedding)], t => embedding.Logits(t[0]));
    }

    // Head widths of 4 run the backward's generic path; 16 and 32 are whole numbers of vectors (of 8 or 16 floats), the
    // path Llama's 64 takes.
    [Theory]
    [InlineData(0, 4)]
    [InlineData(3, 4)]
    [InlineData(0, 16)]
    [InlineData(3, 32)]
    public void Causal_attention_with_gqa_and_rotary(int slidingWindow, int headDim)
    {
        const int heads = 6, kvHeads = 2;
        var batch = SequenceBatch.Prefill(4, 3);
        var rope = new RotaryEmbedding(headDim);
        Run($"attention window {slidingWindow} head {headDim}",
            [In("q", 7, heads * headDim, 18), In("k", 7, kvHeads * headDim, 19), In("v", 7, kvHeads * headDim, 20)], [],
            t => CausalAttention.Forward(t[0], t[1], t[2], headDim, batch, rope: rope, slidingWindow: slidingWindow));
    }

    [Fact]
    public void Attention_refuses_a_cache_while_recording()
    {
        var q = DTensor.Replicated(System.Numerics.Tensors.Tensor.Create(new float[4], [1, 4]));
        var cache = new KvCache(1, 4, 1, 4);
        using var tape = Tape.Start();
        var error = Assert.Throws<NotSupportedException>(() => CausalAttention.Forward(q, q, q, 4, SequenceBatch.Prefill(1), cache));
        Assert.Equal("Attention 'attention': training records whole sequences; run the forward without a KV cache while a Tape is recording.", error.Message);
    }
}
