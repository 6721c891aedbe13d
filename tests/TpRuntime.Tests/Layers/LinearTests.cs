using System.Numerics.Tensors;

namespace TpCodegen.Tests.Layers;

/// <summary>The dense layer every sharded layer is checked against must itself be right.</summary>
public class LinearTests
{
    [Theory]
    [InlineData(1, 1, 1, true)]
    [InlineData(5, 12, 36, true)]
    [InlineData(33, 96, 48, false)]
    public void Forward_is_x_times_w_plus_b(int tokens, int inFeatures, int outFeatures, bool bias)
    {
        var layer = new Linear(inFeatures, outFeatures, bias, seed: 7);
        var random = new Random(3);
        var x = new float[tokens * inFeatures];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble() - 0.5f;

        var y = layer.Forward(Tensor.Create(x, [tokens, inFeatures]));

        Assert.Equal([tokens, outFeatures], y.Lengths.ToArray());
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < outFeatures; o++)
            {
                double expected = bias ? layer.Bias![o] : 0;
                for (int i = 0; i < inFeatures; i++) expected += (double)x[t * inFeatures + i] * layer.Weight[i * outFeatures + o];
                Assert.Equal(expected, y[t, o], 4);
            }
    }

    [Fact]
    public void Leading_batch_dimensions_flatten_into_tokens()
    {
        var layer = new Linear(4, 3, seed: 1);
        var x = Tensor.Create(Enumerable.Range(0, 2 * 5 * 4).Select(i => (float)i).ToArray(), [2, 5, 4]);
        var y = layer.Forward(x);
        Assert.Equal([10, 3], y.Lengths.ToArray());
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_different_layers_differ()
    {
        Assert.Equal(new Linear(8, 8, seed: 5).Weight, new Linear(8, 8, seed: 5).Weight);
        Assert.NotEqual(new Linear(8, 8).Weight, new Linear(8, 8).Weight);
    }

    [Fact]
    public void Ranks_that_create_the_lazy_weights_at_once_all_see_the_same_arrays()
    {
        var layer = new Linear(64, 64, seed: 3);
        var seen = TpCodegen.Collectives.InProcess.InProcessWorld.Run(4, _ => (layer.Weight, layer.Bias));
        Assert.All(seen, s => Assert.Same(seen[0].Weight, s.Weight));
        Assert.All(seen, s => Assert.Same(seen[0].Bias, s.Bias));
        Assert.Equal(new Linear(64, 64, seed: 3).Weight, seen[0].Weight);
    }

    [Fact]
    public void Ranks_that_build_the_same_layers_in_the_same_order_get_the_same_default_weights()
    {
        var weights = TpCodegen.Collectives.InProcess.InProcessWorld.Run(3, _ =>
        {
            var first = new Linear(6, 4);
            var second = new Linear(6, 4);
            return (First: first.Weight, Second: second.Weight);
        });
        Assert.All(weights, w => Assert.Equal(weights[0].First, w.First));
        Assert.All(weights, w => Assert.Equal(weights[0].Second, w.Second));
        Assert.NotEqual(weights[0].First, weights[0].Second);
    }

    [Fact]
    public void A_weight_too_large_for_one_array_is_refused_at_construction()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(65536, 65536));
        Assert.Contains("A [65536 -> 65536] weight has 4294967296 elements", error.Message);
    }

    [Fact]
    public void Weights_of_the_wrong_size_are_rejected_with_the_expected_size()
    {
        var layer = new Linear(3, 4);
        var error = Assert.Throws<ArgumentException>(() => layer.SetWeights(new float[11], new float[4]));
        Assert.Contains("weight holds 11 floats, expected in * out = 12", error.Message);
        error = Assert.Throws<ArgumentException>(() => layer.SetWeights(new float[12], new float[3]));
        Assert.Contains("bias holds 3 floats, expected 4", error.Message);
    }

    [Fact]
    public void An_input_with_the_wrong_feature_count_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new Linear(3, 4).Forward(Tensor.Create(new float[10], [2, 5])));
        Assert.Contains("Linear [3 -> 4] got an input with 5 features", error.Message);
    }

    [Fact]
    public void A_dense_layer_refuses_a_sharded_input()
    {
        var x = DTensor.FromArray(new float[6], 2, 3, Placement.Shard(-1), TpCodegen.Collectives.SingleRankGroup.Instance);
        Assert.Contains("needs a Replicate input, got Shard(-1)", Assert.Throws<PlacementException>(() => new Linear(3, 4).Forward(x)).Message);
    }

    [Theory]
    [InlineData(1, 1, 1, true)]
    [InlineData(5, 12, 36, true)]
    [InlineData(33, 96, 48, false)] // past the transpose's 32 x 32 tiles on every side
    public void Backward_is_dy_times_w_transposed_x_transposed_times_dy_and_column_sums(int tokens, int inFeatures, int outFeatures, bool bias)
    {
        var layer = new Linear(inFeatures, outFeatures, bias, seed: 9);
        var random = new Random(4);
        var x = new float[tokens * inFeatures];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble() - 0.5f;
        var dy = new float[tokens * outFeatures];
        for (int i = 0; i < dy.Length; i++) dy[i] = (float)random.NextDouble() - 0.5f;

        var gradients = layer.Backward(DTensor.Replicated(Tensor.Create(x, [tokens, inFeatures])), DTensor.Replicated(Tensor.Create(dy, [tokens, outFeatures])));

        Assert.Equal(Placement.Replicate, gradients.Input.Placement);
        Assert.Equal((tokens, inFeatures), (gradients.Input.Tokens, gradients.Input.Features));
        var w = layer.Weight;
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < inFeatures; i++)
            {
                double expected = 0;
                for (int o = 0; o < outFeatures; o++) expected += (double)dy[t * outFeatures + o] * w[i * outFeatures + o];
                AssertClose(expected, gradients.Input.LocalSpan[t * inFeatures + i]);
            }
        Assert.Equal(inFeatures * outFeatures, gradients.Weight.Length);
        for (int i = 0; i < inFeatures; i++)
            for (int o = 0; o < outFeatures; o++)
            {
                double expected = 0;
                for (int t = 0; t < tokens; t++) expected += (double)x[t * inFeatures + i] * dy[t * outFeatures + o];
                AssertClose(expected, gradients.Weight[i * outFeatures + o]);
            }
        if (!bias)
        {
            Assert.Null(gradients.Bias);
            return;
        }
        Assert.Equal(outFeatures, gradients.Bias!.Length);
        for (int o = 0; o < outFeatures; o++)
        {
            double expected = 0;
            for (int t = 0; t < tokens; t++) expected += dy[t * outFeatures + o];
            AssertClose(expected, gradients.Bias[o]);
        }
    }

    [Fact]
    public void Dense_backward_refuses_a_gradient_of_the_wrong_width()
    {
        var layer = new Linear(4, 3, seed: 1);
        var error = Assert.Throws<ArgumentException>(() =>
            layer.Backward(DTensor.Replicated(Tensor.Create(new float[8], [2, 4])), DTensor.Replicated(Tensor.Create(new float[8], [2, 4]))));
        Assert.Contains("output gradient with 4 features", error.Message);
    }

    // Relative to max(1, |expected|), as the model tests compare: Assert.Equal(..., 4) rounds, and fails on 0.70474995 vs 0.70475.
    private static void AssertClose(double expected, float actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");
}
