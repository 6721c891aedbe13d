namespace TpCodegen.Contract;

/// <summary>What turns one <see cref="Layout"/> of a value into another (see <see cref="Transitions"/>).</summary>
internal enum Move
{
    /// <summary>Already there: nothing happens.</summary>
    None,

    /// <summary>Replicate to Shard(-1): each rank keeps its own slice, a local copy; no collective.</summary>
    LocalSlice,

    /// <summary>Shard(-1) to Replicate: every rank gathers every slice.</summary>
    AllGather,

    /// <summary>Partial(Sum) to Replicate: the addends are summed on every rank.</summary>
    AllReduce,

    /// <summary>Partial(Sum) to Shard(-1): the addends are summed, each rank keeping its slice of the sum.</summary>
    ReduceScatter,

    /// <summary>No move exists (a value becomes Partial only by a layer that makes partial sums).</summary>
    Impossible,
}
