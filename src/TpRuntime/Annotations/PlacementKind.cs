namespace TpCodegen;

/// <summary>The placement of an activation <c>[tokens, features]</c>, as contracts in metadata name it. The values are
/// the split contract's layouts (src/Shared/Contract).</summary>
public enum PlacementKind
{
    /// <summary>Every rank holds the full activation.</summary>
    Replicate = (int)Contract.Layout.Replicate,

    /// <summary>Each rank holds a slice of the feature (last) dimension: Shard(-1).</summary>
    ShardLast = (int)Contract.Layout.ShardLast,

    /// <summary>Each rank holds an addend of the activation: Partial(Sum).</summary>
    PartialSum = (int)Contract.Layout.PartialSum,
}
