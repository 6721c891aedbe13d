using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// The collectives a call runs, for TP0015: the first, as its message names it, and the one group all of them run over
/// (Unknown when they differ or a group is not known). A rank test that every rank of that group answers alike (the
/// data-parallel rank, around tensor-parallel collectives) cannot split it.
/// </summary>
internal sealed record CollectivesRun(string First, GroupRole Group)
{
    /// <summary>Both calls' collectives: the first named, the group kept only when they agree.</summary>
    public static CollectivesRun? Both(CollectivesRun? earlier, CollectivesRun? later) =>
        earlier is null ? later
        : later is null ? earlier
        : earlier.Group == later.Group ? earlier
        : earlier with { Group = GroupRole.Unknown };
}
