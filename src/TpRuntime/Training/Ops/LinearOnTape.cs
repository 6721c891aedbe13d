namespace TpCodegen.Training;

/// <summary>
/// The gradients of a linear layer and of cutting its fused output: the layer's own <see cref="Linear.Backward"/> runs,
/// so the collective of dX is the one its split contract names (Column: all-reduce; Row: none), never chosen here.
/// </summary>
internal static class LinearOnTape
{
    public static void Record(Linear layer, DTensor input, DTensor output)
    {
        if (Tape.Active is not { } tape) return;
        RecordOn(tape, layer, input, output);
    }

    // Each Record* checks for a tape and hands over to its *On twin: the lambdas capture the arguments, and a method
    // holding them allocates their closure on entry, recording or not (these hooks run on every op of every decode step).
    private static void RecordOn(Tape tape, Linear layer, DTensor input, DTensor output)
    {
        tape.Record(output, gradOutput =>
        {
            if (layer.Shard is { Split: Split.Column } && tape.AcceptsPartialGradient(input))
            {
                SequenceParallelColumnBackward(tape, layer, input, gradOutput);
                return;
            }
            var gradients = layer.Backward(tape.Readable(input), gradOutput);
            tape.Accumulate(input, gradients.Input.LocalSpan);
            var parameters = LayerParameters.Of(layer);
            parameters[0].AccumulateFromRank(gradients.Weight);
            if (gradients.Bias is { } bias) parameters[1].AccumulateFromRank(bias);
        });
    }

    /// <summary>
    /// A column layer fed tokens all-gathered from their shards (sequence parallelism): dW and db as in its Backward, but
    /// dX = dY W^T stays this rank's addend; the gather's conjugate reduce-scatters the sum of every column layer's addends
    /// at once, instead of one all-reduce per layer. dW reads the gathered tokens, gathered again when the block released them.
    /// </summary>
    private static void SequenceParallelColumnBackward(Tape tape, Linear layer, DTensor input, DTensor gradOutput)
    {
        var parameters = LayerParameters.Of(layer);
        int tokens = input.Tokens, inFeatures = layer.InFeatures, localOut = gradOutput.LocalFeatures;
        var dw = StepBuffers.Rent((long)inFeatures * localOut);
        Parallel.Generated.ShardKernels.WeightGradient(tape.Readable(input).LocalSpan, gradOutput.LocalSpan, dw, tokens, inFeatures, localOut);
        parameters[0].AccumulateFromRank(dw);
        if (parameters.Count > 1) parameters[1].AccumulateFromRank(Parallel.Generated.ShardKernels.BiasGradient(gradOutput.LocalSpan, tokens, localOut));
        var dx = StepBuffers.Rent((long)tokens * inFeatures);
        // Through the weight's cached packed W^T, as the layer's own Backward does; unpacked only for a shard that hides it.
        if (layer.Shard?.PackedWeightBlock is { } packed)
            Parallel.Generated.ShardKernels.InputGradient(gradOutput.LocalSpan, packed, dx, tokens);
        else
            Parallel.Generated.ShardKernels.InputGradient(gradOutput.LocalSpan, parameters[0].Value, dx, tokens, inFeatures, localOut);
        tape.AccumulatePartial(input, dx);
    }

    /// <summary>Each part's gradient goes back to its columns of the fused output; a part nobody used contributes zeros.</summary>
    public static void RecordSplit(DTensor fused, DTensor[] parts)
    {
        if (Tape.Active is not { } tape) return;
        RecordSplitOn(tape, fused, parts);
    }

    private static void RecordSplitOn(Tape tape, DTensor fused, DTensor[] parts)
    {
        int column = 0;
        foreach (var part in parts)
        {
            int start = column, width = part.LocalFeatures;
            tape.Record(part, gradPart =>
            {
                var full = StepBuffers.Rent(fused.LocalSpan.Length);
                var source = gradPart.LocalSpan;
                for (int t = 0; t < fused.Tokens; t++)
                    source.Slice(t * width, width).CopyTo(full.AsSpan(t * fused.LocalFeatures + start, width));
                tape.Accumulate(fused, full);
            });
            column += width;
        }
    }
}
