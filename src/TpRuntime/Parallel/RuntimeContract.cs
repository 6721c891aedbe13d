using TpCodegen.Collectives;
using TpCodegen.Contract;

namespace TpCodegen.Parallel;

/// <summary>
/// The runtime's view of the split contract (src/Shared/Contract): its public enums and placements to the contract's
/// and back. <see cref="Split"/> and <see cref="PlacementKind"/> take their values from the contract's enums, so the
/// conversions are casts; a test checks every name and value.
/// </summary>
internal static class RuntimeContract
{
    public static SplitContract Of(Split split) =>
        SplitContracts.ForValue((int)split) ?? throw new ArgumentOutOfRangeException(nameof(split), split, "No split contract has this value.");

    /// <summary>The layer contract the attribute's split and options make.</summary>
    public static LayerContract Of(TensorParallelAttribute attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        var options = new LayerOptions(attribute.GatherOutput, attribute.InputIsParallel, attribute.ReduceResults, attribute.SkipBiasAdd);
        return Of(attribute.Split).Resolve(options);
    }

    public static Layout ToLayout(PlacementKind kind) => (Layout)(int)kind;

    public static PlacementKind ToKind(Layout layout) =>
        layout == Layout.Unknown ? throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown is not a placement.") : (PlacementKind)(int)layout;

    /// <summary>The contract's layout of an activation placement; null for one the contract has no layout for (Shard(-2)).</summary>
    public static Layout? LayoutOf(Placement placement) => placement switch
    {
        ReplicatePlacement => Layout.Replicate,
        ShardPlacement { Dim: -1 } => Layout.ShardLast,
        PartialPlacement => Layout.PartialSum,
        _ => null,
    };

    /// <summary>The collective a move runs, or null when it runs none.</summary>
    public static CollectiveKind? CollectiveOf(Move move) => move switch
    {
        Move.AllGather => CollectiveKind.AllGather,
        Move.AllReduce => CollectiveKind.AllReduce,
        Move.ReduceScatter => CollectiveKind.ReduceScatter,
        _ => null,
    };
}
