namespace TpCodegen.Collectives;

/// <summary>The collectives a <see cref="ProcessGroup"/> offers, as recorded in its counters and errors.</summary>
public enum CollectiveKind
{
    AllReduce,
    AllGather,
    ReduceScatter,
    Broadcast,
    Barrier,
    Split,
}
