using TpCodegen.Collectives;

namespace TpCodegen.Training;

/// <summary>
/// Gradient clipping by the global norm of all of a model's gradients, where a sharded parameter's slices are summed over
/// the tensor-parallel group (each shard counted once) and a replicated parameter counted once, not once per rank. A
/// per-rank norm (each rank clipping by its own shards' norm) is the classic mistake: the ranks would scale differently.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// The global gradient norm; when it exceeds <paramref name="maxNorm"/>, scales every gradient by <c>maxNorm / norm</c>.
    /// One all-reduce of one float over <paramref name="tensorParallel"/>.
    /// </summary>
    public static float ClipByGlobalNorm(ParameterSet parameters, float maxNorm, ProcessGroup tensorParallel)
    {
        float norm = GlobalNorm(parameters, tensorParallel);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The clipping norm must be positive.");
        if (norm > maxNorm)
        {
            float scale = maxNorm / (norm + 1e-6f);
            foreach (var item in parameters.Items)
                System.Numerics.Tensors.TensorPrimitives.Multiply(item.Parameter.Grad, scale, item.Parameter.Grad);
        }
        return norm;
    }

    /// <summary>The global gradient norm: sqrt(sum over shards of all ranks + sum over replicated parameters once).</summary>
    public static float GlobalNorm(ParameterSet parameters, ProcessGroup tensorParallel)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(tensorParallel);
        double sharded = 0, replicated = 0;
        foreach (var item in parameters.Items)
        {
            double squares = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(item.Parameter.Grad);
            // A block held by several ranks (replicated key/value heads) is counted once over them.
            if (item.Parameter.Placement == ParameterPlacement.Sharded) sharded += squares / item.Parameter.Replicas;
            else replicated += squares;
        }
        Span<float> sum = [(float)sharded];
        tensorParallel.AllReduce(sum);
        sharded = sum[0];
        return (float)Math.Sqrt(sharded + replicated);
    }
}
