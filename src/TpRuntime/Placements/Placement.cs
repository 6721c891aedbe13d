namespace TpCodegen;

/// <summary>
/// How one logical tensor is laid out over the ranks of a process group, after PyTorch DTensor:
/// every rank holds all of it (<see cref="ReplicatePlacement"/>), a slice of one dimension
/// (<see cref="ShardPlacement"/>), or an addend that the group must still reduce (<see cref="PartialPlacement"/>).
/// Placements are values: two placements are equal when they describe the same layout.
/// </summary>
public abstract record Placement
{
    private protected Placement() { }

    /// <summary>Every rank holds the full tensor.</summary>
    public static ReplicatePlacement Replicate { get; } = new();

    /// <summary>Rank r holds the r-th of <c>size</c> equal slices of dimension <paramref name="dim"/>
    /// (negative dims count from the end, so -1 is the feature dimension of an activation).</summary>
    public static ShardPlacement Shard(int dim) => (uint)(dim + 2) < (uint)s_shards.Length ? s_shards[dim + 2] : new(dim);

    /// <summary>Each rank holds an addend; the full tensor is the reduction of all of them.</summary>
    public static PartialPlacement Partial(ReduceOp op = ReduceOp.Sum) =>
        (uint)op < (uint)s_partials.Length ? s_partials[(int)op] : new(op);

    // Every op names its output's placement; shared instances keep a decode step from allocating one per op.
    private static readonly ShardPlacement[] s_shards = [new(-2), new(-1), new(0), new(1)];
    private static readonly PartialPlacement[] s_partials = Enum.GetValues<ReduceOp>().Select(op => new PartialPlacement(op)).ToArray();

    /// <summary>The placement a <see cref="PlacementKind"/> names (what a layer's contract says it takes or returns).</summary>
    public static Placement FromKind(PlacementKind kind) => kind switch
    {
        PlacementKind.Replicate => Replicate,
        PlacementKind.ShardLast => Shard(-1),
        PlacementKind.PartialSum => Partial(ReduceOp.Sum),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>Every rank holds the full tensor.</summary>
public sealed record ReplicatePlacement : Placement
{
    public override string ToString() => "Replicate";
}

/// <summary>Rank r holds slice r of dimension <see cref="Dim"/>.</summary>
public sealed record ShardPlacement(int Dim) : Placement
{
    public override string ToString() => $"Shard({Dim})";
}

/// <summary>Each rank holds an addend of the full tensor, to be reduced with <see cref="Op"/>.</summary>
public sealed record PartialPlacement(ReduceOp Op) : Placement
{
    public override string ToString() => $"Partial({Op})";
}
