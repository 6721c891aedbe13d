using System.Numerics.Tensors;
using TpCodegen.Parallel;

namespace TpCodegen;

/// <summary>
/// Root-mean-square normalisation (Llama): <c>x * rsqrt(mean(x^2) + eps) * weight</c>, in float32, per token. Its weight
/// is replicated on every rank; it takes and returns the full hidden state (Replicate), or a token shard (Shard(0))
/// under sequence parallelism.
/// </summary>
public sealed class RmsNorm(int features, float eps = 1e-6f)
{
    /// <summary>The per-feature scale <c>[features]</c>, ones until loaded.</summary>
    public float[] Weight { get; } = Ones(features);

    public int Features { get; } = features;

    public float Epsilon { get; } = eps;

    // Hot from the first token of a generation: compiled optimised at once, not through tiered JIT's slow first tier.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public DTensor Forward(DTensor x)
    {
        NormInput.Require(x, "RMSNorm", Features);
        var output = StepBuffers.Rent(x.LocalSpan.Length, zeroed: false);
        var input = x.LocalSpan;
        for (int t = 0; t < x.Tokens; t++)
        {
            var row = input.Slice(t * Features, Features);
            var target = output.AsSpan(t * Features, Features);
            float scale = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(row) / Features + Epsilon);
            TensorPrimitives.Multiply(row, scale, target);
            TensorPrimitives.Multiply(target, Weight, target);
        }
        var y = DTensor.OverStepBuffer(output, x.Tokens, Features, x.Placement, x.Group);
        Training.NormsOnTape.RecordRms(this, x, y);
        return y;
    }

    /// <summary>Reads tensor <c>prefix + "weight"</c> (<c>[features]</c>); every rank reads all of it.</summary>
    public void Load(ICheckpointShardSource source, string prefix)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.ReadBlock(prefix + "weight", 1, Features, 0, 1, 0, Features, Weight);
    }

    internal static float[] Ones(int features)
    {
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, "A normalisation needs at least one feature.");
        var ones = new float[features];
        ones.AsSpan().Fill(1f);
        return ones;
    }

    public override string ToString() => $"RMSNorm [{Features}], eps {Epsilon}";
}
