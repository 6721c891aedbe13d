namespace TpCodegen.Collectives;

/// <summary>Base of the errors a collective raises when the ranks of a group cannot complete it together.</summary>
public abstract class CollectiveException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Raised on every rank that waits in a collective when another rank has failed: the collective can never
/// complete, so the waiting ranks are released instead of hanging. <see cref="FailedRank"/> names the culprit
/// (its rank in the world) and <see cref="Exception.InnerException"/> is its error.
/// </summary>
public sealed class RankFailedException(int failedRank, string message, Exception? inner)
    : CollectiveException(message, inner)
{
    /// <summary>The world rank whose failure released this one.</summary>
    public int FailedRank { get; } = failedRank;
}

/// <summary>Raised on every rank when the ranks of a group entered different collectives, or the same one with different sizes.</summary>
public sealed class CollectiveMismatchException(string message) : CollectiveException(message);

/// <summary>Raised when a rank waits in a collective that another rank of its group has left the run without entering.</summary>
public sealed class CollectiveAbandonedException(int absentRank, string message) : CollectiveException(message)
{
    /// <summary>The world rank that finished its work without entering the collective: the culprit, not the waiter.</summary>
    public int AbsentRank { get; } = absentRank;
}

/// <summary>
/// Raised on every rank of a run when each rank still running waits in a collective that can never complete,
/// because the ranks it waits for are blocked in other collectives (rank 0 in the world's all-reduce while rank 1
/// is in a sub-group's; a tensor-parallel and a data-parallel group entered in opposite orders). The message lists
/// what every rank waits in: group, collective and size.
/// </summary>
public sealed class CollectiveDeadlockException(string message) : CollectiveException(message);

/// <summary>
/// The reason the MPI watchdog gives when it aborts a job: a rank waited in one collective longer than
/// <see cref="CollectiveOptions.Timeout"/>. The message names the rank, the collective, the group and the wait.
/// </summary>
public sealed class CollectiveTimeoutException(string message) : CollectiveException(message);
