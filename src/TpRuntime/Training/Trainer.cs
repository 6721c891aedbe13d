using TpCodegen.Collectives;

namespace TpCodegen.Training;

/// <summary>What one training step did: the loss (the mean over every replica's counted tokens), the gradient norm before clipping, the buckets reduced.</summary>
public readonly record struct TrainingStepResult(float Loss, float GradientNorm, int Buckets);

/// <summary>
/// One training step on a DP x TP mesh: record the forward, run the backward, average the gradients over the
/// data-parallel group in buckets (each replica weighted by the tokens its loss counted), clip by the global norm across
/// the tensor-parallel group, take an AdamW step.
/// </summary>
/// <remarks>
/// The collectives of a step are the forward's and the backward's (the split contract's), the loss's two all-reduces over
/// the tensor-parallel group, one all-reduce of one float there for the norm (when clipping), and over the data-parallel
/// group one call per gradient bucket plus one for the loss. Nothing else: a shard's gradient never crosses the
/// tensor-parallel group.
/// </remarks>
public sealed class Trainer
{
    public Trainer(AdamW optimizer, ProcessGroup tensorParallel, ProcessGroup? dataParallel = null, float maxGradientNorm = 1f,
        int bucketFloats = DataParallelGradients.DefaultBucketFloats)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(tensorParallel);
        if (maxGradientNorm < 0) throw new ArgumentOutOfRangeException(nameof(maxGradientNorm), maxGradientNorm, "The clipping norm must be positive, or 0 for none.");
        Optimizer = optimizer;
        TensorParallel = tensorParallel;
        DataParallel = dataParallel ?? SingleRankGroup.Instance;
        MaxGradientNorm = maxGradientNorm;
        BucketFloats = bucketFloats;
    }

    public AdamW Optimizer { get; }

    public ProcessGroup TensorParallel { get; }

    public ProcessGroup DataParallel { get; }

    /// <summary>Clip the global gradient norm to this; 0 for no clipping.</summary>
    public float MaxGradientNorm { get; }

    public int BucketFloats { get; }

    /// <summary>
    /// Runs <paramref name="forward"/> (this replica's loss, a Replicate <c>[1, 1]</c> value) on a tape, its backward,
    /// the data-parallel average, clipping and the optimizer step; zeroes the gradients for the next step. The forward
    /// runs inside a <see cref="StepBuffers"/> scope that ends with the backward: what it returns is valid only until then.
    /// </summary>
    public TrainingStepResult Step(Func<DTensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        float loss;
        long? counted;
        // One step scope around the forward and its backward: activations and the values over them come from this rank's
        // pool and go back at the end of the step, so steps after the first reuse them instead of allocating hundreds of
        // megabytes of fresh arrays each (whose page faults and collections cost more than the copies).
        using (StepBuffers.Enter())
        using (var tape = Tape.Start())
        {
            var value = forward();
            loss = value.LocalSpan[0];
            tape.Backward(value);
            counted = tape.LossTokens;
        }
        var parameters = Optimizer.Parameters;
        float weight = 1f;
        if (DataParallel.Size > 1) (loss, weight) = ReplicaWeight(loss, counted);
        int buckets = DataParallelGradients.Sum(parameters, DataParallel, weight, BucketFloats);
        float norm = MaxGradientNorm > 0 ? GradientClipping.ClipByGlobalNorm(parameters, MaxGradientNorm, TensorParallel) : float.NaN;
        Optimizer.Step();
        parameters.ZeroGrad();
        return new TrainingStepResult(loss, norm, buckets);
    }

    // The batch's loss is the mean over every replica's counted tokens, not the mean of the replicas' means: a replica
    // whose sequences are shorter or more often ignored counts for fewer tokens (Megatron's and torchtitan's per-token
    // loss). One all-reduce of (loss x tokens, tokens) gives the batch's mean and this replica's share of the gradient;
    // a loss that counts no tokens (an author's own) weighs every replica the same.
    private (float Loss, float Weight) ReplicaWeight(float loss, long? counted)
    {
        double tokens = counted ?? 1;
        Span<float> sums = [(float)(loss * tokens), (float)tokens];
        DataParallel.AllReduce(sums);
        return sums[1] == 0 ? (0f, 0f) : (sums[0] / sums[1], (float)(tokens / sums[1]));
    }
}
