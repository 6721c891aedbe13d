using TpCodegen.Collectives;
using TpCodegen.Parallel;

namespace TpCodegen.Training;

/// <summary>
/// The collectives one training step runs, per group, predicted from the modules' generated plans: each layer's forward
/// collectives, the conjugate of each in the backward, the loss's two all-reduces and the norm's one over the
/// tensor-parallel group, and one call per gradient bucket plus one for the loss over the data-parallel group.
/// </summary>
public sealed record TrainingPlan(IReadOnlyList<PlannedCollective> TensorParallel, IReadOnlyList<PlannedCollective> DataParallel)
{
    /// <summary>Calls of <paramref name="kind"/> one step makes on the tensor-parallel group.</summary>
    public int TensorParallelCalls(CollectiveKind kind) => TensorParallel.Count(c => c.Kind == kind);

    /// <summary>Bytes one rank sends into calls of <paramref name="kind"/> on the tensor-parallel group in one step.</summary>
    public long TensorParallelBytes(CollectiveKind kind) => TensorParallel.Where(c => c.Kind == kind).Sum(c => c.BytesPerRank);

    /// <summary>Calls of <paramref name="kind"/> one step makes on the data-parallel group.</summary>
    public int DataParallelCalls(CollectiveKind kind) => DataParallel.Count(c => c.Kind == kind);

    /// <summary>
    /// The plan of a step over <paramref name="tokens"/> tokens per replica whose forward runs the layers of
    /// <paramref name="modulePlans"/> (each module's generated <c>GetPlan</c>, once per use) and ends in
    /// <see cref="VocabParallelCrossEntropy"/>.
    /// </summary>
    /// <param name="sequenceParallelColumns">
    /// Column layers read tokens all-gathered from their shards and leave dX unreduced (the gather's conjugate reduce-scatters
    /// it): no all-reduce of their own. The token moves themselves are the caller's to add.
    /// </param>
    public static TrainingPlan Of(IEnumerable<TensorParallelPlan> modulePlans, int tokens, int tp, bool clipping, int dataParallel, int buckets,
        bool sequenceParallelColumns = false)
    {
        ArgumentNullException.ThrowIfNull(modulePlans);
        var tensorParallel = new List<PlannedCollective>();
        var layers = modulePlans.SelectMany(p => p.Layers).ToArray();
        foreach (var layer in layers) tensorParallel.AddRange(layer.Collectives);
        // The loss: the row maxima, then three sums per token (sum of exponentials, target logit, sum of logits).
        tensorParallel.Add(new PlannedCollective(CollectiveKind.AllReduce, (long)tokens * sizeof(float)));
        tensorParallel.Add(new PlannedCollective(CollectiveKind.AllReduce, 3L * tokens * sizeof(float)));
        foreach (var layer in Enumerable.Reverse(layers))
            if (!(sequenceParallelColumns && layer.Split == Split.Column)) tensorParallel.AddRange(BackwardCollectives(layer, tokens, tp));
        if (clipping) tensorParallel.Add(new PlannedCollective(CollectiveKind.AllReduce, sizeof(float)));
        var dataParallelCalls = new List<PlannedCollective>();
        if (dataParallel > 1)
        {
            for (int b = 0; b < buckets; b++) dataParallelCalls.Add(new PlannedCollective(CollectiveKind.AllReduce, 0));
            dataParallelCalls.Add(new PlannedCollective(CollectiveKind.AllReduce, sizeof(float)));
        }
        return new TrainingPlan(tensorParallel, dataParallelCalls);
    }

    /// <summary>The backward of a head tied to a vocabulary-split embedding: dX summed over the ranks' ids, one all-reduce.</summary>
    public static PlannedCollective TiedHeadBackward(int tokens, int hidden, int tp) =>
        new(CollectiveKind.AllReduce, Contract.Transitions.BytesPerRank(Contract.Move.AllReduce, tokens, hidden, tp));

    /// <summary>
    /// The token moves sequence parallelism adds to a step of a decoder of <paramref name="blocks"/> blocks (each an
    /// attention and an MLP sub-block) and their conjugates: per sub-block an all-gather in (a reduce-scatter of the
    /// column layers' dX back, and the same all-gather again for their weight gradients: the gathered input is released
    /// after the sub-block), a reduce-scatter out (an all-gather back) and the norm's weight gradient all-reduced;
    /// the embedding's output sliced (all-gathered back), the final norm's tokens gathered for the head (sliced back),
    /// and the final norm's weight gradient all-reduced.
    /// </summary>
    public static IEnumerable<PlannedCollective> SequenceParallelMoves(int blocks, int hidden, int tp, int tokens)
    {
        var gather = new PlannedCollective(CollectiveKind.AllGather, Contract.Transitions.BytesPerRank(Contract.Move.AllGather, tokens, hidden, tp));
        var scatter = new PlannedCollective(CollectiveKind.ReduceScatter, Contract.Transitions.BytesPerRank(Contract.Move.ReduceScatter, tokens, hidden, tp));
        var normGradient = new PlannedCollective(CollectiveKind.AllReduce, (long)hidden * sizeof(float));
        for (int subBlock = 0; subBlock < 2 * blocks; subBlock++)
        {
            yield return gather;
            yield return scatter;
            yield return scatter;
            yield return gather;
            yield return gather;
            yield return normGradient;
        }
        yield return gather;
        yield return gather;
        yield return normGradient;
    }

    /// <summary>
    /// The backward's collectives of one layer, the conjugates of its forward's: a layer whose GEMM reads the whole input
    /// (Column, the vocabulary head) all-reduces dX when its input was replicated; a Row layer fed a replicated input
    /// (it kept its slice) all-gathers dX; a Row layer fed its shard, and an embedding lookup, move nothing.
    /// </summary>
    public static IEnumerable<PlannedCollective> BackwardCollectives(LayerPlan layer, int tokens, int tp)
    {
        ArgumentNullException.ThrowIfNull(layer);
        bool wholeInput = layer.Split == Split.Column || (layer.Split == Split.Vocab && layer.Output == PlacementKind.ShardLast);
        if (wholeInput && layer.Input == PlacementKind.Replicate)
            yield return new PlannedCollective(CollectiveKind.AllReduce,
                Contract.Transitions.BytesPerRank(Contract.Move.AllReduce, tokens, layer.InFeatures, tp));
        else if (layer.Split == Split.Row && layer.Input == PlacementKind.Replicate)
            yield return new PlannedCollective(CollectiveKind.AllGather,
                Contract.Transitions.BytesPerRank(Contract.Move.AllGather, tokens, layer.InFeatures, tp));
    }
}
