using TpCodegen.Collectives;
using TpCodegen.Kernels;
using TpCodegen.Parallel;
using TpCodegen.Parallel.Generated;

namespace TpCodegen;

/// <summary>
/// One rank's shard of an LM head marked <c>[TensorParallel(Split.Vocab)]</c>: a column split over the padded
/// vocabulary. It takes the replicated hidden state and returns Shard(-1) logits of this rank's ids, padding at
/// -infinity, for <see cref="VocabParallel"/> (argmax, sampling) and a vocab-parallel loss: the full logits are never
/// gathered.
/// </summary>
public sealed class VocabParallelLinear : ShardedLinear
{
    private readonly PackedWeight _weight;
    private readonly float[]? _bias;

    public VocabParallelLinear(ProcessGroup group, LinearShard shard)
        : base(RequireShard(shard).LayerName, Split.Vocab, group, shard.InFeatures, shard.OutFeatures)
    {
        shard.Require(shard.LayerName, Split.Vocab, group);
        Vocabulary = VocabularySplit.Of(shard.OutFeatures, group.Size, group.Rank);
        _weight = shard.PackWeight();
        _bias = shard.Bias;
    }

    /// <summary>This rank's ids and the padding.</summary>
    public VocabularySplit Vocabulary { get; }

    protected override PackedWeight? WeightBlock => _weight;

    protected override float[]? BiasBlock => _bias;

    public override PlacementKind InputPlacement => PlacementKind.Replicate;

    public override PlacementKind OutputPlacement => PlacementKind.ShardLast;

    protected override DTensor ForwardCore(DTensor x)
    {
        ShardSteps.RequireLocalFeatures(this, x, InFeatures);
        int tokens = x.Tokens, local = Vocabulary.Local;
        var logits = StepBuffers.Rent((long)tokens * local, zeroed: false);
        Gemm.Multiply(x.LocalSpan, _weight, logits, tokens, _bias);
        VocabParallel.MaskPadding(logits, tokens, Vocabulary);
        return DTensor.OverStepBuffer(logits, tokens, local, Placement.Shard(-1), Group);
    }

    // As a column split: each rank's ids see the whole input, so the input gradient is a sum over ranks (one
    // all-reduce); padding logits were -infinity, so their gradient is zero and adds nothing.
    protected override LinearGradients BackwardCore(DTensor input, DTensor gradOutput)
    {
        ShardSteps.RequireLocalFeatures(this, input, InFeatures);
        int tokens = input.Tokens, local = Vocabulary.Local;
        var dw = new float[(long)InFeatures * local];
        ShardKernels.WeightGradient(input.LocalSpan, gradOutput.LocalSpan, dw, tokens, InFeatures, local);
        var db = _bias is null ? null : ShardKernels.BiasGradient(gradOutput.LocalSpan, tokens, local);
        var dx = new float[(long)tokens * InFeatures];
        ShardKernels.InputGradient(gradOutput.LocalSpan, _weight, dx, tokens);
        Group.AllReduce(dx);
        return new LinearGradients(DTensor.FromArray(dx, tokens, InFeatures, Placement.Replicate, Group), dw, db);
    }

    private static LinearShard RequireShard(LinearShard shard) => shard ?? throw new ArgumentNullException(nameof(shard));

    protected override void Dispose(bool disposing)
    {
        if (disposing) _weight.Dispose();
        base.Dispose(disposing);
    }
}
