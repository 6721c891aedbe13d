using System.Numerics.Tensors;

namespace TpCodegen.Training;

/// <summary>
/// Cross-entropy over logits split by vocabulary (Megatron's vocab-parallel loss): the full logits are never gathered.
/// Each rank reduces its own columns to a per-token maximum, then to a sum of exponentials, the target's logit and the
/// sum of logits (for label smoothing); two all-reduces of a few floats per token complete them, and each rank's
/// gradient is computed from its own columns. Padding columns (ids past the vocabulary) never count.
/// </summary>
public static class VocabParallelCrossEntropy
{
    /// <summary>The target that marks a token the loss skips (PyTorch's and Megatron's default).</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>
    /// The mean loss over the tokens whose target is not <paramref name="ignoreIndex"/>, as a Replicate <c>[1, 1]</c> value
    /// (every rank holds it). With <paramref name="labelSmoothing"/> ε the target distribution is <c>(1 - ε)</c> on the
    /// target plus <c>ε / vocabulary</c> on every real id, as PyTorch's <c>label_smoothing</c>.
    /// </summary>
    /// <param name="logits">Shard(-1) over the padded vocabulary (a vocabulary-parallel head), or Replicate <c>[tokens, vocabulary]</c> (a dense head).</param>
    /// <param name="targets">One id per token (row of <paramref name="logits"/>).</param>
    /// <param name="vocabulary">The real vocabulary size: columns from it on are padding.</param>
    public static DTensor Loss(DTensor logits, ReadOnlySpan<int> targets, int vocabulary, float labelSmoothing = 0f, int ignoreIndex = DefaultIgnoreIndex)
    {
        var columns = Check(logits, targets, vocabulary, labelSmoothing, ignoreIndex);
        int tokens = logits.Tokens, width = logits.LocalFeatures;
        bool sharded = logits.Placement is ShardPlacement;
        var z = logits.LocalSpan;

        // 1. The row maxima over the whole vocabulary, so that no exponential overflows.
        var max = new float[tokens];
        for (int t = 0; t < tokens; t++)
            max[t] = columns.Real == 0 ? float.NegativeInfinity : TensorPrimitives.Max(z.Slice(t * width, columns.Real));
        if (sharded) logits.Group.AllReduce(max, ReduceOp.Max);

        // 2. Per token: sum of exp(z - max), the target's logit (on the rank that owns it, zero elsewhere), sum of logits.
        // Whole rows at a time (the library's vectorised exp and sums): per element this loop is most of the loss.
        var sums = new float[3 * tokens];
        var shifted = StepBuffers.Rent(columns.Real, zeroed: false);
        for (int t = 0; t < tokens; t++)
        {
            var row = z.Slice(t * width, columns.Real);
            TensorPrimitives.Subtract(row, max[t], shifted);
            TensorPrimitives.Exp(shifted, shifted);
            int local = targets[t] - columns.Start;
            sums[3 * t] = TensorPrimitives.Sum(shifted);
            sums[3 * t + 1] = targets[t] != ignoreIndex && (uint)local < (uint)columns.Real ? row[local] : 0f;
            sums[3 * t + 2] = TensorPrimitives.Sum(row);
        }
        if (sharded) logits.Group.AllReduce(sums);

        // 3. The loss, the same on every rank: log Z - z_target, blended with the mean of log Z - z over the vocabulary.
        var logZ = new float[tokens];
        double total = 0;
        int counted = 0;
        for (int t = 0; t < tokens; t++)
        {
            logZ[t] = max[t] + MathF.Log(sums[3 * t]);
            if (targets[t] == ignoreIndex) continue;
            double nll = logZ[t] - sums[3 * t + 1];
            double smooth = logZ[t] - (double)sums[3 * t + 2] / vocabulary;
            total += (1 - labelSmoothing) * nll + labelSmoothing * smooth;
            counted++;
        }
        var loss = DTensor.FromArray([counted == 0 ? 0f : (float)(total / counted)], 1, 1, Placement.Replicate, logits.Group);
        if (Tape.Active is { } tape)
        {
            tape.CountLossTokens(counted);
            var ids = targets.ToArray();
            tape.Record(loss, g => tape.Accumulate(logits,
                Gradient(logits.LocalSpan, ids, logZ, columns, width, g.LocalSpan[0] / Math.Max(counted, 1), labelSmoothing, vocabulary, ignoreIndex)));
        }
        return loss;
    }

    /// <summary>dL/dz = scale (softmax - (1 - ε) onehot(target) - ε / V) on real columns, zero on padding and on ignored tokens.</summary>
    private static float[] Gradient(ReadOnlySpan<float> z, int[] targets, float[] logZ, (int Start, int Real) columns, int width,
        float scale, float labelSmoothing, int vocabulary, int ignoreIndex)
    {
        // From the step pool (handed back once the tape has added it to the logits' gradient), zeroed for padding columns
        // and ignored tokens; whole rows at a time.
        var d = StepBuffers.Rent(z.Length);
        float uniform = labelSmoothing / vocabulary;
        for (int t = 0; t < targets.Length; t++)
        {
            if (targets[t] == ignoreIndex) continue;
            var row = d.AsSpan(t * width, columns.Real);
            TensorPrimitives.Subtract(z.Slice(t * width, columns.Real), logZ[t], row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Subtract(row, uniform, row);
            TensorPrimitives.Multiply(row, scale, row);
            int local = targets[t] - columns.Start;
            if ((uint)local < (uint)columns.Real) row[local] -= scale * (1 - labelSmoothing);
        }
        return d;
    }

    // Which ids this rank's columns are, and how many of them are real (not padding).
    private static (int Start, int Real) Check(DTensor logits, ReadOnlySpan<int> targets, int vocabulary, float labelSmoothing, int ignoreIndex)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (vocabulary < 1) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "Cross-entropy needs a vocabulary of at least one id.");
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        if (targets.Length != logits.Tokens)
            throw new ArgumentException($"Cross-entropy: {targets.Length} targets for {logits.Tokens} rows of logits.", nameof(targets));
        for (int t = 0; t < targets.Length; t++)
            if (targets[t] != ignoreIndex && (uint)targets[t] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[t],
                    $"Cross-entropy: token {t} has target {targets[t]}, outside the vocabulary [0, {vocabulary}) and not the ignore index {ignoreIndex}.");
        switch (logits.Placement)
        {
            case ReplicatePlacement when logits.LocalFeatures == vocabulary:
                return (0, vocabulary);
            case ShardPlacement { Dim: -1 }:
                var split = VocabularySplit.Of(vocabulary, logits.Group.Size, logits.Group.Rank);
                if (split.Local != logits.LocalFeatures)
                    throw new ArgumentException(
                        $"Cross-entropy: logits {logits} hold {logits.LocalFeatures} ids per rank, but a vocabulary of {vocabulary} split over {logits.Group.Size} ranks holds {split.Local} ({split}).", nameof(logits));
                return (split.Start, split.LocalReal);
            case ReplicatePlacement:
                throw new ArgumentException($"Cross-entropy: Replicate logits {logits} have {logits.LocalFeatures} columns, not the vocabulary's {vocabulary}.", nameof(logits));
            default:
                throw new PlacementException($"Cross-entropy needs logits split by vocabulary (Shard(-1)) or replicated, got {logits.Placement}" +
                    (logits.Placement is PartialPlacement ? ": all-reduce the partial sum first." : "."));
        }
    }
}
