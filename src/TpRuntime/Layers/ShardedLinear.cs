using TpCodegen.Collectives;

namespace TpCodegen;

/// <summary>
/// One rank's shard of a tensor-parallel linear layer. The generator emits a sealed subclass per marked
/// layer, specialised to its split and options; this base holds what every shard has and checks the input
/// placement before the specialised forward runs. Disposing it releases what the shard holds (its packed weight);
/// disposing the <see cref="Linear"/> it is attached to does so too.
/// </summary>
public abstract class ShardedLinear : IDisposable
{
    protected ShardedLinear(string layerName, Split split, ProcessGroup group, int inFeatures, int outFeatures)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(group);
        LayerName = layerName;
        Split = split;
        Group = group;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>The marked member's name, for messages and plans.</summary>
    public string LayerName { get; }

    public Split Split { get; }

    /// <summary>The tensor-parallel group the layer is split over.</summary>
    public ProcessGroup Group { get; }

    /// <summary>Input features of the whole (dense) layer.</summary>
    public int InFeatures { get; }

    /// <summary>Output features of the whole (dense) layer.</summary>
    public int OutFeatures { get; }

    /// <summary>The placement <see cref="Forward"/> takes.</summary>
    public abstract PlacementKind InputPlacement { get; }

    /// <summary>The placement <see cref="Forward"/> returns.</summary>
    public abstract PlacementKind OutputPlacement { get; }

    /// <summary>
    /// The bias this shard's forward leaves out of its output (SkipBiasAdd), for the caller to add in a fused epilogue:
    /// a column shard's slice of the bias, or a row shard's whole bias (added once, after the reduce). Empty when the
    /// forward adds its own bias or the layer has none.
    /// </summary>
    public virtual ReadOnlyMemory<float> SkippedBias => ReadOnlyMemory<float>.Empty;

    /// <summary>
    /// The packed weight block this shard multiplies by, <c>[local in, local out]</c>: training reads it
    /// (<see cref="CopyWeight"/>) and writes the optimizer's new values back into it (<see cref="UpdateWeight"/>).
    /// Generated shards return theirs; null means the shard cannot be trained.
    /// </summary>
    protected virtual Kernels.PackedWeight? WeightBlock => null;

    /// <summary>The bias array this shard adds (its slice for a column split, the whole bias for a row split), or null.</summary>
    protected virtual float[]? BiasBlock => null;

    /// <summary>This rank's weight block <c>[local in, local out]</c>, row-major: a copy, the values the forward uses.</summary>
    public float[] CopyWeight()
    {
        var block = RequireTrainable(nameof(CopyWeight));
        var weight = new float[(long)block.K * block.N];
        block.CopyTo(weight);
        return weight;
    }

    /// <summary>Rows and columns of this rank's weight block.</summary>
    public (int In, int Out) LocalWeightShape
    {
        get
        {
            var block = RequireTrainable(nameof(LocalWeightShape));
            return (block.K, block.N);
        }
    }

    /// <summary>
    /// The bias array the forward adds, shared (not copied): an optimizer updates it in place. Null when the layer has no bias.
    /// </summary>
    public float[]? BiasForTraining => BiasBlock;

    /// <summary>Packs new values of this rank's weight block (<c>[local in, local out]</c>, row-major) into the forward's copy.</summary>
    public void UpdateWeight(ReadOnlySpan<float> weight) => RequireTrainable(nameof(UpdateWeight)).Repack(weight);

    /// <summary>The packed weight block the forward multiplies by, for the tape's own backward paths; null when not exposed.</summary>
    internal Kernels.PackedWeight? PackedWeightBlock => WeightBlock;

    private Kernels.PackedWeight RequireTrainable(string member) => WeightBlock ??
        throw new NotSupportedException($"{member}: {Split} layer '{LayerName}' ({GetType().Name}) does not expose its weight block for training.");

    /// <summary>Checks the input's placement and group, then runs the shard's forward.</summary>
    public DTensor Forward(DTensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var expected = Placement.FromKind(InputPlacement);
        if (x.Placement != expected)
            throw new PlacementException(
                $"{Split} layer '{LayerName}' takes a {expected} input but got {x.Placement}" + InputAdvice(x.Placement, expected));
        if (!ReferenceEquals(x.Group, Group))
            throw new PlacementException($"{Split} layer '{LayerName}' is split over {Group} but its input lives on {x.Group}.");
        return ForwardCore(x);
    }

    /// <summary>The specialised forward: local GEMM, collectives and bias, in the order the split needs.</summary>
    protected abstract DTensor ForwardCore(DTensor x);

    /// <summary>
    /// The shard's backward, stateless: checks the placements, then runs the specialised backward.
    /// <paramref name="input"/> is the forward's input, with the placement <see cref="Forward"/> takes;
    /// <paramref name="gradOutput"/> is <c>dL/dy</c> with the placement <see cref="Forward"/> returns, except that the
    /// gradient of a partial-sum output (Row, ReduceResults = false) is the full <c>dL/dy</c> of the reduced value:
    /// Replicate. Returns <c>dL/dx</c> with the input's placement and this rank's weight and bias gradients.
    /// </summary>
    public LinearGradients Backward(DTensor input, DTensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(gradOutput);
        var expectedInput = Placement.FromKind(InputPlacement);
        if (input.Placement != expectedInput)
            throw new PlacementException(
                $"{Split} layer '{LayerName}' backward takes the forward's {expectedInput} input but got {input.Placement}" + InputAdvice(input.Placement, expectedInput));
        // The contract's gradient placement: a partial sum's gradient is the full gradient of the value it reduces to.
        var expectedGradient = Placement.FromKind(Parallel.RuntimeContract.ToKind(
            Contract.Transitions.GradientOf(Parallel.RuntimeContract.ToLayout(OutputPlacement))));
        if (gradOutput.Placement != expectedGradient)
            throw new PlacementException(
                $"{Split} layer '{LayerName}' backward takes a {expectedGradient} output gradient but got {gradOutput.Placement}" +
                (OutputPlacement == PlacementKind.PartialSum ? ": the gradient of a partial-sum output is the full gradient of the reduced value." : "."));
        if (!ReferenceEquals(input.Group, Group) || !ReferenceEquals(gradOutput.Group, Group))
            throw new PlacementException($"{Split} layer '{LayerName}' is split over {Group} but its backward's tensors live on {input.Group} and {gradOutput.Group}.");
        if (gradOutput.Tokens != input.Tokens)
            throw new ArgumentException(
                $"{Split} layer '{LayerName}' backward: the input has {input.Tokens} tokens but the output gradient {gradOutput.Tokens}.", nameof(gradOutput));
        // A sharded gradient is as wide on this rank as the forward's output: the weight block's columns when the shard shows
        // its block (a padded vocabulary, replicated key/value heads); a whole one has the layer's output features.
        if (gradOutput.Placement is ShardPlacement && WeightBlock is { } block ? gradOutput.LocalFeatures != block.N : gradOutput.Features != OutFeatures)
            throw new ArgumentException(
                $"{Split} layer '{LayerName}' backward expects an output gradient of {OutFeatures} features ({WeightBlock?.N ?? OutFeatures} on this rank) but got {gradOutput}.", nameof(gradOutput));
        return BackwardCore(input, gradOutput);
    }

    /// <summary>The specialised backward: local GEMMs and the one collective (or none) the split needs.</summary>
    protected abstract LinearGradients BackwardCore(DTensor input, DTensor gradOutput);

    private static string InputAdvice(Placement actual, Placement expected) => (actual, expected) switch
    {
        (PartialPlacement, _) => ": a partial sum must be all-reduced before it feeds a layer that needs the full value.",
        (ShardPlacement, ReplicatePlacement) => ": gather it first (Redistribute(Placement.Replicate)), or set GatherOutput on the layer that made it.",
        (ReplicatePlacement, ShardPlacement) => ": feed it the output of a Column layer, or set InputIsParallel = false to let the layer keep its own slice.",
        _ => ".",
    };

    /// <summary>Releases what the shard holds; the layer cannot run afterwards.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Generated shards release their packed weight here.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    public override string ToString() => $"{Split} '{LayerName}' [{InFeatures} -> {OutFeatures}] over {Group}: {InputPlacement} -> {OutputPlacement}";
}
