namespace TpCodegen.Training;

/// <summary>
/// The gradients of an embedding lookup and of a head tied to the embedding. Sharded by vocabulary, a lookup's gradient
/// goes only to this rank's rows (the forward's all-reduce of a partial sum is conjugate to no collective), and the tied
/// head's input gradient is a sum over the ranks' ids: one all-reduce, as for any column split.
/// </summary>
internal static class EmbeddingOnTape
{
    public static void RecordLookup(Embedding embedding, int[] ids, DTensor output)
    {
        if (Tape.Active is not { } tape) return;
        RecordLookupOn(tape, embedding, ids, output);
    }

    // Each Record* checks for a tape and hands over to its *On twin: the lambdas capture the arguments, and a method
    // holding them allocates their closure on entry, recording or not (these hooks run on every op of every decode step).
    private static void RecordLookupOn(Tape tape, Embedding embedding, int[] ids, DTensor output)
    {
        tape.Record(output, gradOutput =>
        {
            var table = LayerParameters.Of(embedding);
            int features = embedding.Features;
            int first = embedding.Shard?.Split.Start ?? 0;
            int owned = embedding.Shard?.Split.LocalReal ?? embedding.Vocabulary;
            var g = gradOutput.LocalSpan;
            var grad = table.Grad.AsSpan();
            for (int t = 0; t < ids.Length; t++)
            {
                int row = ids[t] - first;
                if ((uint)row >= (uint)owned) continue;
                var target = grad.Slice(row * features, features);
                System.Numerics.Tensors.TensorPrimitives.Add(target, g.Slice(t * features, features), target);
            }
        });
    }

    /// <summary>logits = h @ E^T (this rank's rows E when sharded): dh = dlogits @ E (summed over ranks), dE = dlogits^T @ h.</summary>
    public static void RecordLogits(Embedding embedding, DTensor hidden, DTensor logits)
    {
        if (Tape.Active is not { } tape) return;
        RecordLogitsOn(tape, embedding, hidden, logits);
    }

    private static void RecordLogitsOn(Tape tape, Embedding embedding, DTensor hidden, DTensor logits)
    {
        tape.Record(logits, gradLogits =>
        {
            var table = LayerParameters.Of(embedding);
            int tokens = hidden.Tokens, features = embedding.Features, rows = logits.LocalFeatures;
            var dh = new float[(long)tokens * features];
            Kernels.Gemm.Multiply(gradLogits.LocalSpan, table.Value, dh, tokens, rows, features);
            if (embedding.Shard is not null) hidden.Group.AllReduce(dh);
            tape.Accumulate(hidden, dh);
            var dTable = new float[(long)rows * features];
            Parallel.Generated.ShardKernels.WeightGradient(gradLogits.LocalSpan, hidden.LocalSpan, dTable, tokens, rows, features);
            table.Accumulate(dTable);
        });
    }
}
