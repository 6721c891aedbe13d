using System.Numerics.Tensors;
using TpCodegen.Parallel;

namespace TpCodegen;

/// <summary>
/// Layer normalisation with a bias (GPT-2): <c>(x - mean) / sqrt(var + eps) * weight + bias</c>, in float32, per token,
/// with the biased variance as PyTorch computes it. Replicated weights; takes and returns the full hidden state.
/// </summary>
public sealed class LayerNorm(int features, float eps = 1e-5f)
{
    /// <summary>The per-feature scale, ones until loaded.</summary>
    public float[] Weight { get; } = RmsNorm.Ones(features);

    /// <summary>The per-feature shift, zeros until loaded.</summary>
    public float[] Bias { get; } = new float[features];

    public int Features { get; } = features;

    public float Epsilon { get; } = eps;

    // Hot from the first token of a generation: compiled optimised at once, not through tiered JIT's slow first tier.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public DTensor Forward(DTensor x)
    {
        NormInput.Require(x, "LayerNorm", Features);
        var output = StepBuffers.Rent(x.LocalSpan.Length, zeroed: false);
        var input = x.LocalSpan;
        for (int t = 0; t < x.Tokens; t++)
        {
            var row = input.Slice(t * Features, Features);
            var target = output.AsSpan(t * Features, Features);
            float mean = TensorPrimitives.Sum(row) / Features;
            TensorPrimitives.Subtract(row, mean, target);
            float variance = TensorPrimitives.SumOfSquares(target) / Features;
            TensorPrimitives.Multiply(target, 1f / MathF.Sqrt(variance + Epsilon), target);
            TensorPrimitives.FusedMultiplyAdd(target, Weight, Bias, target);
        }
        var y = DTensor.OverStepBuffer(output, x.Tokens, Features, x.Placement, x.Group);
        Training.NormsOnTape.RecordLayer(this, x, y);
        return y;
    }

    /// <summary>Reads <c>prefix + "weight"</c> and <c>prefix + "bias"</c> (<c>[features]</c> each); every rank reads all of them.</summary>
    public void Load(ICheckpointShardSource source, string prefix)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.ReadBlock(prefix + "weight", 1, Features, 0, 1, 0, Features, Weight);
        source.ReadBlock(prefix + "bias", 1, Features, 0, 1, 0, Features, Bias);
    }

    public override string ToString() => $"LayerNorm [{Features}], eps {Epsilon}";
}
