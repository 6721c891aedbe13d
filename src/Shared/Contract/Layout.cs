namespace TpCodegen.Contract;

/// <summary>
/// The placement of an activation <c>[tokens, features]</c> over a tensor-parallel group. The runtime's public
/// <c>TpCodegen.PlacementKind</c> takes its values from here.
/// </summary>
internal enum Layout
{
    /// <summary>Every rank holds the full activation.</summary>
    Replicate = 0,

    /// <summary>Each rank holds a slice of the feature (last) dimension: Shard(-1).</summary>
    ShardLast = 1,

    /// <summary>Each rank holds an addend of the activation: Partial(Sum).</summary>
    PartialSum = 2,

    /// <summary>
    /// Not a placement: what a static analysis cannot follow (no rule reports on it). No contract row takes or returns
    /// it, and the runtime has no value for it.
    /// </summary>
    Unknown = 3,
}
