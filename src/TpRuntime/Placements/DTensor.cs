using System.Numerics.Tensors;
using TpCodegen.Collectives;

namespace TpCodegen;

/// <summary>
/// A distributed activation <c>[tokens, features]</c>: this rank's local block, the placement that says what
/// the block is a part of, and the group it is distributed over. Leading batch dimensions are flattened into
/// tokens. Operations check placements as values flow, so misuse fails with a message naming both placements
/// instead of producing wrong numbers; <see cref="Redistribute"/> moves data between placements with the
/// cheapest collective.
/// </summary>
public sealed partial class DTensor
{
    // Set once when the value is made; a value made over a step buffer may be re-made for the next step (see OverStepBuffer).
    private float[] _local = [];
    // Set when a gathered value's buffer went back to the step pool (GatheredTokens.Dispose): reading it is a bug.
    private bool _released;

    private DTensor() => Placement = Placement.Replicate;

    private DTensor(float[] local, int tokens, int localFeatures, Placement placement, ProcessGroup group)
    {
        Placement = Placement.Replicate;
        Initialize(local, tokens, localFeatures, placement, group);
    }

    private void Initialize(float[] local, int tokens, int localFeatures, Placement placement, ProcessGroup group)
    {
        if (local.Length != (long)tokens * localFeatures)
            throw new ArgumentException($"A [{tokens}, {localFeatures}] local block needs {(long)tokens * localFeatures} floats, not {local.Length}.");
        _local = local;
        _released = false;
        Tokens = tokens;
        LocalFeatures = localFeatures;
        Placement = Normalize(placement);
        Group = group;
    }

    /// <summary>
    /// A value over <paramref name="local"/>, a buffer from <see cref="StepBuffers.Rent"/>: inside a step scope the value
    /// object itself comes from the step's pool too (it is invalid after the scope, like its buffer), so a steady decode
    /// step allocates no objects either. Only for buffers from the pool: a value over a caller's array must outlive scopes.
    /// </summary>
    internal static DTensor OverStepBuffer(float[] local, int tokens, int localFeatures, Placement placement, ProcessGroup group)
    {
        var value = StepBuffers.RentValue(static () => new DTensor());
        if (value is null) return new DTensor(local, tokens, localFeatures, placement, group);
        value.Initialize(local, tokens, localFeatures, placement, group);
        return value;
    }

    /// <summary>Rows of the activation (all leading dimensions flattened).</summary>
    public int Tokens { get; private set; }

    /// <summary>Features this rank holds.</summary>
    public int LocalFeatures { get; private set; }

    /// <summary>Features of the whole activation.</summary>
    public int Features => Placement is ShardPlacement { Dim: -1 } ? LocalFeatures * Group.Size : LocalFeatures;

    /// <summary>What the local block is a part of. Shard dims are stored negative: Shard(-1) is the feature dimension.</summary>
    public Placement Placement { get; private set; }

    /// <summary>The ranks the value is distributed over.</summary>
    public ProcessGroup Group { get; private set; } = SingleRankGroup.Instance;

    /// <summary>This rank's block as a tensor <c>[Tokens, LocalFeatures]</c>, sharing memory with this value.</summary>
    public Tensor<float> Local => Tensor.Create(LocalArray, [Tokens, LocalFeatures]);

    /// <summary>This rank's block, row-major. For kernels; reading it out of a Partial value gives an addend, not the value.</summary>
    public Span<float> LocalSpan => LocalArray;

    /// <summary>The local block's array itself (for the step pool's bookkeeping); throws once released.</summary>
    internal float[] LocalArray => _released ? throw ReleasedError() : _local;

    /// <summary>A value that every rank of <paramref name="group"/> (default: a group of one) holds in full; copies <paramref name="full"/>.</summary>
    public static DTensor Replicated(Tensor<float> full, ProcessGroup? group = null) =>
        FromLocal(full, Placement.Replicate, group ?? SingleRankGroup.Instance);

    /// <summary>This rank's block of a distributed value; copies <paramref name="local"/>.</summary>
    public static DTensor FromLocal(Tensor<float> local, Placement placement, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(group);
        var (tokens, features) = FlattenedShape(local.Lengths);
        float[] data = new float[local.FlattenedLength];
        local.FlattenTo(data);
        return new DTensor(data, tokens, features, placement, group);
    }

    /// <summary>Wraps an array this rank owns (no copy): the constructor generated layers and kernels use.</summary>
    public static DTensor FromArray(float[] local, int tokens, int localFeatures, Placement placement, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(group);
        return new DTensor(local, tokens, localFeatures, placement, group);
    }

    /// <summary>
    /// The full value as a tensor. Allowed only on a replicated value: a shard or a partial sum is not the value,
    /// and reading it as if it were is the mistake this type exists to stop. Use <see cref="FullTensor"/> to gather.
    /// </summary>
    public Tensor<float> ToTensor()
    {
        if (Placement is not ReplicatePlacement)
            throw new PlacementException(
                $"Cannot read a {Placement} value on {Group} as a full tensor: it holds only this rank's " +
                (Placement is PartialPlacement ? "addend of the sum" : "slice") +
                ". Call FullTensor() (a collective) or Redistribute(Placement.Replicate) first.");
        return Local;
    }

    /// <summary>Collective: the full value on every rank, reduced or gathered as the placement requires.</summary>
    public Tensor<float> FullTensor() => Redistribute(Placement.Replicate).Local;

    /// <summary>
    /// Collective (except Replicate to Shard): the same logical value with another placement.
    /// Partial to Replicate all-reduces; Partial to Shard(-1) reduce-scatters; Shard(-1) to Replicate all-gathers;
    /// Replicate to Shard(-1) keeps this rank's slice and moves nothing.
    /// </summary>
    public DTensor Redistribute(Placement target)
    {
        var moved = MoveTo(target, owned: false);
        Training.ElementWiseOnTape.RecordRedistribute(this, moved);
        return moved;
    }

    /// <summary>
    /// <see cref="Redistribute"/> for a value nobody else holds (a layer's fresh output): an all-reduce sums in this
    /// value's own buffer instead of a copy. Generated layers reach it through <c>Parallel.Generated.ShardSteps.Move</c>.
    /// </summary>
    internal DTensor RedistributeOwned(Placement target) => MoveTo(target, owned: true);

    // The move comes from the split contract's transition table (src/Shared/Contract/Transitions.cs), the same table
    // the generator emits and the analyzers infer from.
    private DTensor MoveTo(Placement target, bool owned)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_released) throw ReleasedError();
        target = Normalize(target);
        if (target == Placement) return this;
        if (IsTokenShard(target) || IsTokenShard(Placement)) return MoveTokens(target);
        var move = Parallel.RuntimeContract.LayoutOf(Placement) is { } from && Parallel.RuntimeContract.LayoutOf(target) is { } to
            ? Contract.Transitions.Between(from, to)
            : Contract.Move.Impossible;
        return (move, Placement) switch
        {
            (Contract.Move.AllReduce, PartialPlacement partial) => AllReduced(partial.Op, owned),
            (Contract.Move.ReduceScatter, PartialPlacement partial) => ReduceScattered(partial.Op),
            (Contract.Move.AllGather, _) => Gathered(),
            (Contract.Move.LocalSlice, _) => LocalSlice(),
            // None here means two different Partial ops, which no move turns into each other.
            _ => throw new PlacementException(
                $"Cannot redistribute a {Placement} value on {Group} to {target}: " +
                (target is PartialPlacement
                    ? "a value becomes Partial only by a layer that makes partial sums."
                    : "only Shard(-1) (the feature dimension) is supported for activations.")),
        };
    }

    private DTensor AllReduced(ReduceOp op, bool owned)
    {
        var sum = owned ? _local : CopyOfLocal();
        Group.AllReduce(sum, op);
        return OverStepBuffer(sum, Tokens, LocalFeatures, Placement.Replicate, Group);
    }

    // Moves run inside decode and training steps: their buffers come from the step's pool (new outside a scope).
    private float[] CopyOfLocal()
    {
        var copy = StepBuffers.Rent(_local.Length, zeroed: false);
        _local.CopyTo(copy, 0);
        return copy;
    }

    private DTensor ReduceScattered(ReduceOp op)
    {
        int tp = Group.Size;
        int slice = RequireDivisible(LocalFeatures, "reduce-scatter");
        // The collective scatters contiguous blocks, so lay the value out slice-major first: [tp, tokens, slice].
        var blocks = StepBuffers.Rent(_local.Length, zeroed: false);
        ColumnBlocks.Split(_local, blocks, Tokens, LocalFeatures, tp);
        var mine = StepBuffers.Rent((long)Tokens * slice, zeroed: false);
        Group.ReduceScatter(blocks, mine, op);
        return OverStepBuffer(mine, Tokens, slice, Placement.Shard(-1), Group);
    }

    private DTensor Gathered()
    {
        int tp = Group.Size;
        var blocks = StepBuffers.Rent((long)_local.Length * tp, zeroed: false);
        Group.AllGather(_local, blocks);
        var full = StepBuffers.Rent(blocks.Length, zeroed: false);
        ColumnBlocks.Join(blocks, full, Tokens, LocalFeatures, tp);
        return OverStepBuffer(full, Tokens, LocalFeatures * tp, Placement.Replicate, Group);
    }

    private DTensor LocalSlice()
    {
        int slice = RequireDivisible(LocalFeatures, "shard");
        var mine = StepBuffers.Rent((long)Tokens * slice, zeroed: false);
        for (int t = 0; t < Tokens; t++)
            _local.AsSpan(t * LocalFeatures + Group.Rank * slice, slice).CopyTo(mine.AsSpan(t * slice, slice));
        return OverStepBuffer(mine, Tokens, slice, Placement.Shard(-1), Group);
    }

    private int RequireDivisible(int features, string what)
    {
        if (features % Group.Size != 0)
            throw new PlacementException(
                $"Cannot {what} {features} features over {Group} : {features} is not divisible by {Group.Size}.");
        return features / Group.Size;
    }

    /// <summary>Element-wise sum. A partial sum plus a partial sum stays partial; a partial sum plus anything else is refused.</summary>
    public static DTensor operator +(DTensor left, DTensor right) => ElementWise.Add(left, right);

    /// <summary>Element-wise product of two values with the same non-partial placement.</summary>
    public static DTensor operator *(DTensor left, DTensor right) => ElementWise.Multiply(left, right);

    public override string ToString() => $"DTensor [{Tokens}, {Features}] {Placement} on {Group} (local [{Tokens}, {LocalFeatures}])";

    internal static Placement Normalize(Placement placement) => placement switch
    {
        ShardPlacement { Dim: >= 0 } shard => shard.Dim switch
        {
            0 => Placement.Shard(-2),
            1 => Placement.Shard(-1),
            _ => throw new PlacementException($"{shard} does not exist on a [tokens, features] activation."),
        },
        ShardPlacement { Dim: < -2 } shard => throw new PlacementException($"{shard} does not exist on a [tokens, features] activation."),
        _ => placement,
    };

    private static (int Tokens, int Features) FlattenedShape(ReadOnlySpan<nint> lengths)
    {
        if (lengths.Length == 0) return (1, 1);
        long tokens = 1;
        for (int d = 0; d < lengths.Length - 1; d++) tokens *= lengths[d];
        long features = lengths[^1];
        if (tokens > int.MaxValue || features > int.MaxValue || tokens * features > Array.MaxLength)
            throw new ArgumentException($"A [{tokens}, {features}] activation is too large for one block.");
        return ((int)tokens, (int)features);
    }
}
