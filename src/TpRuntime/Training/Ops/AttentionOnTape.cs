using System.Numerics.Tensors;

namespace TpCodegen.Training;

/// <summary>
/// The gradient of causal attention over this rank's heads (the training path: whole sequences, no KV cache), recomputing
/// each row's softmax instead of keeping it. Heads never cross ranks, so no collective; a grouped key/value head gathers
/// the gradients of all its query heads. Rotary embeddings are rotations, so their gradient is the inverse rotation.
/// </summary>
internal static class AttentionOnTape
{
    public static void Record(DTensor q, DTensor k, DTensor v, int headDim, SequenceBatch batch, RotaryEmbedding? rope, int slidingWindow, DTensor output)
    {
        if (Tape.Active is not { } tape) return;
        RecordOn(tape, q, k, v, headDim, batch, rope, slidingWindow, output);
    }

    // Each Record* checks for a tape and hands over to its *On twin: the lambdas capture the arguments, and a method
    // holding them allocates their closure on entry, recording or not (these hooks run on every op of every decode step).
    private static void RecordOn(Tape tape, DTensor q, DTensor k, DTensor v, int headDim, SequenceBatch batch, RotaryEmbedding? rope, int slidingWindow, DTensor output)
    {
        tape.Record(output, g =>
        {
            var (dq, dk, dv) = Gradients(q, k, v, headDim, batch, rope, slidingWindow, g.LocalSpan);
            tape.Accumulate(q, dq);
            tape.Accumulate(k, dk);
            tape.Accumulate(v, dv);
        });
    }

    /// <summary>Refused: a backward through a KV cache would need the cached rows' earlier inputs, which the tape never saw.</summary>
    public static void RequireNoCache(KvCache? cache, string name)
    {
        if (cache is not null && Tape.Active is not null)
            throw new NotSupportedException($"Attention '{name}': training records whole sequences; run the forward without a KV cache while a Tape is recording.");
    }

    private static (float[] Dq, float[] Dk, float[] Dv) Gradients(DTensor q, DTensor k, DTensor v, int headDim, SequenceBatch batch,
        RotaryEmbedding? rope, int slidingWindow, ReadOnlySpan<float> dOut)
    {
        int qWidth = q.LocalFeatures, kvWidth = k.LocalFeatures;
        int heads = qWidth / headDim, group = heads / (kvWidth / headDim);
        // Rotated copies from the step pool (handed back when this op's gradient is done), not fresh arrays every step.
        var queries = StepBuffers.Rent(q.LocalSpan.Length, zeroed: false);
        var keys = StepBuffers.Rent(k.LocalSpan.Length, zeroed: false);
        q.LocalSpan.CopyTo(queries);
        k.LocalSpan.CopyTo(keys);
        if (rope is not null)
            for (int t = 0; t < batch.Tokens; t++)
            {
                rope.Apply(queries.AsSpan(t * qWidth, qWidth), batch.Positions[t]);
                rope.Apply(keys.AsSpan(t * kvWidth, kvWidth), batch.Positions[t]);
            }
        var values = v.LocalSpan;
        var dq = StepBuffers.Rent(queries.Length);
        var dk = StepBuffers.Rent(keys.Length);
        var dv = StepBuffers.Rent(keys.Length);
        float scale = 1f / MathF.Sqrt(headDim);
        int row0 = 0;
        foreach (var span in batch.Sequences)
        {
            var p = StepBuffers.Rent(span.Length);
            var dp = StepBuffers.Rent(span.Length);
            for (int i = 0; i < span.Length; i++)
            {
                int row = row0 + i, position = span.Start + i;
                int lo = slidingWindow > 0 ? Math.Max(span.Start, position - slidingWindow + 1) : span.Start;
                int count = position - lo + 1;
                for (int h = 0; h < heads; h++)
                {
                    int kvOffset = h / group * headDim;
                    var query = queries.AsSpan(row * qWidth + h * headDim, headDim);
                    var gradOut = dOut.Slice(row * qWidth + h * headDim, headDim);
                    // Key position lo + j sits on row row0 + (lo + j - Start), as in the forward without a cache.
                    int firstKeyRow = row0 + lo - span.Start;
                    int first = firstKeyRow * kvWidth + kvOffset;
                    HeadVectors.Dots(query, keys, first, kvWidth, p.AsSpan(0, count), scale);
                    CausalAttention.Softmax(p.AsSpan(0, count));
                    HeadVectors.Dots(gradOut, values, first, kvWidth, dp.AsSpan(0, count), 1f);
                    float weighted = TensorPrimitives.Dot(p.AsSpan(0, count), dp.AsSpan(0, count));
                    var dQuery = dq.AsSpan(row * qWidth + h * headDim, headDim);
                    HeadGradients.Accumulate(query, gradOut, dQuery, keys, dk, dv, first, kvWidth, count, p, dp, weighted, scale);
                }
            }
            row0 += span.Length;
        }
        if (rope is not null)
            for (int t = 0; t < batch.Tokens; t++)
            {
                rope.ApplyInverse(dq.AsSpan(t * qWidth, qWidth), batch.Positions[t]);
                rope.ApplyInverse(dk.AsSpan(t * kvWidth, kvWidth), batch.Positions[t]);
            }
        return (dq, dk, dv);
    }
}
