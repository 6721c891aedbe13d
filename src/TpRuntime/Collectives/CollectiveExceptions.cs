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
public sealed class CollectiveAbandonedException(string message) : CollectiveException(message);
