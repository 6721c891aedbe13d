using System.Collections.Generic;

namespace TpCodegen.Contract;

/// <summary>
/// The split contract: one row per kind of split. The generator emits from it, the analyzers infer placements from it,
/// the runtime checks, counts and plans from it. A new kind of split (heads, segments, vocabulary, sequence) is a new
/// row here and a value in <see cref="SplitKind"/>, not a branch in three places.
/// </summary>
internal static class SplitContracts
{
    /// <summary>
    /// Column: each rank owns <c>W[:, r*out/tp : (r+1)*out/tp]</c> and that slice of the bias. Its GEMM reads the whole
    /// input and makes its own block of output columns; GatherOutput gathers the blocks.
    /// </summary>
    public static SplitContract Column { get; } = new(
        SplitKind.Column,
        DividedDimension.OutFeatures,
        holds: "<c>W[:, r*out/tp : (r+1)*out/tp]</c> and the same slice of the bias",
        gemmInput: Layout.Replicate,
        gemmOutput: Layout.ShardLast,
        gemmInputGradient: Layout.PartialSum,
        options: new[] { SplitOption.GatherOutput, SplitOption.SkipBiasAdd },
        input: static _ => Layout.Replicate,
        output: static o => o.GatherOutput ? Layout.Replicate : Layout.ShardLast,
        conflicts: new[]
        {
            new OptionConflict(SplitOption.InputIsParallel, false, null, false,
                "InputIsParallel = false applies only to Row layers, and a Column layer always takes a replicated input; remove it"),
            new OptionConflict(SplitOption.ReduceResults, false, null, false,
                "ReduceResults = false applies only to Row layers, and a Column layer makes no partial sums; remove it"),
            new OptionConflict(SplitOption.SkipBiasAdd, true, SplitOption.GatherOutput, true,
                "SkipBiasAdd = true hands back this rank's slice of the bias (out / tp), but GatherOutput = true gathers the output in full, so the slice cannot be added to it; remove SkipBiasAdd or GatherOutput"),
        });

    /// <summary>
    /// Row: each rank owns <c>W[r*in/tp : (r+1)*in/tp, :]</c> and the whole bias. Its GEMM reads its slice of the input
    /// and makes a partial sum of the whole output; ReduceResults all-reduces it.
    /// </summary>
    public static SplitContract Row { get; } = new(
        SplitKind.Row,
        DividedDimension.InFeatures,
        holds: "<c>W[r*in/tp : (r+1)*in/tp, :]</c> and the whole bias",
        gemmInput: Layout.ShardLast,
        gemmOutput: Layout.PartialSum,
        gemmInputGradient: Layout.ShardLast,
        options: new[] { SplitOption.InputIsParallel, SplitOption.ReduceResults, SplitOption.SkipBiasAdd },
        input: static o => o.InputIsParallel ? Layout.ShardLast : Layout.Replicate,
        output: static o => o.ReduceResults ? Layout.Replicate : Layout.PartialSum,
        conflicts: new[]
        {
            new OptionConflict(SplitOption.GatherOutput, true, null, false,
                "GatherOutput = true applies only to Column layers, and a Row layer's reduced output is already whole; remove it"),
        });

    /// <summary>
    /// Vocab, on an LM head <c>[hidden -> vocabulary]</c>: a column split over the vocabulary padded up to a multiple of the
    /// degree (any degree works), each rank's logits Shard(-1) over its ids with padding at -infinity. They feed
    /// vocab-parallel argmax, sampling and loss, which reduce a few values per token: the logits are never gathered. (On an
    /// embedding table the same split divides its rows: each rank looks up its ids and one all-reduce sums the ranks' rows.)
    /// </summary>
    public static SplitContract Vocab { get; } = new(
        SplitKind.Vocab,
        DividedDimension.OutFeatures,
        holds: "the columns of its vocabulary ids <c>[r*V'/tp, (r+1)*V'/tp)</c> of the padded vocabulary V' (padding columns zero)",
        gemmInput: Layout.Replicate,
        gemmOutput: Layout.ShardLast,
        gemmInputGradient: Layout.PartialSum,
        options: new SplitOption[0],
        input: static _ => Layout.Replicate,
        output: static _ => Layout.ShardLast,
        conflicts: new[]
        {
            new OptionConflict(SplitOption.GatherOutput, true, null, false,
                "GatherOutput = true would gather the full logits, vocabulary x tokens floats per rank; a Vocab layer's logits feed vocab-parallel argmax, sampling and loss instead; remove it"),
            new OptionConflict(SplitOption.InputIsParallel, false, null, false,
                "InputIsParallel = false applies only to Row layers; a Vocab layer takes the replicated hidden state; remove it"),
            new OptionConflict(SplitOption.ReduceResults, false, null, false,
                "ReduceResults = false applies only to Row layers; a Vocab layer makes no partial sums; remove it"),
            new OptionConflict(SplitOption.SkipBiasAdd, true, null, false,
                "SkipBiasAdd = true does not apply to a Vocab layer, whose padding logits must be masked after the bias; remove it"),
        },
        allowsDegree: static (size, tp) => size >= 1,
        localSize: static (size, tp) => (size + tp - 1) / tp,
        // GEMM, bias, then the padding masked to -infinity: written once in the runtime, which generated modules wire up.
        runtimeShard: "VocabParallelLinear",
        splitsEmbeddings: true);

    /// <summary>Every row, in <see cref="SplitKind"/> order (after the rows: static initializers run in text order).</summary>
    public static IReadOnlyList<SplitContract> All { get; } = new[] { Column, Row, Vocab };

    public static SplitContract For(SplitKind kind) => kind switch
    {
        SplitKind.Row => Row,
        SplitKind.Vocab => Vocab,
        _ => Column,
    };

    /// <summary>The row whose kind has the integer value an attribute's metadata holds; null for a value no row has.</summary>
    public static SplitContract? ForValue(int value)
    {
        foreach (var contract in All)
        {
            if ((int)contract.Kind == value) return contract;
        }
        return null;
    }
}
