namespace TpCodegen.Collectives;

/// <summary>
/// What one rank asked for when it entered a collective. In-process every rank posts one and, after the first
/// rendezvous, compares them all; under MPI the debug checks compare them across processes. Either way a mismatch
/// fails on every rank with the same message instead of corrupting memory.
/// </summary>
internal readonly record struct CollectiveCall(CollectiveKind Kind, long Count, int Root, ReduceOp Op)
{
    public override string ToString() => Kind switch
    {
        CollectiveKind.Barrier or CollectiveKind.Split => Kind.ToString(),
        CollectiveKind.Broadcast => $"Broadcast({Count} floats, root {Root})",
        CollectiveKind.AllGather => $"AllGather({Count} floats per rank)",
        _ => $"{Kind}({Count} floats, {Op})",
    };
}
