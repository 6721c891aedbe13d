namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// The state every group of one in-process run shares: which world rank failed first, which ranks have finished
/// their work, which collective each rank is inside, and the deadlock detector. Waiting ranks poll it, so one
/// failure releases every collective of every sub-group.
/// </summary>
internal sealed class InProcessRun
{
    // Each rank writes its own "inside" entry twice per collective: keep the entries of different ranks on
    // different cache lines (128 bytes apart: adjacent-line prefetch pairs 64-byte lines).
    private const int InsideStride = 16;

    private sealed record Failure(int Rank, Exception Error);

    private Failure? _failure;
    private readonly bool[] _finished;
    private readonly object?[] _inside;

    public InProcessRun(int size)
    {
        Size = size;
        _finished = new bool[size];
        _inside = new object?[size * InsideStride];
        Deadlocks = new DeadlockDetector(this);
    }

    public int Size { get; }

    public DeadlockDetector Deadlocks { get; }

    public bool HasFailed => Volatile.Read(ref _failure) is not null;

    /// <summary>Records the first failure; later ones are consequences of it.</summary>
    public void Fail(int worldRank, Exception error) =>
        Interlocked.CompareExchange(ref _failure, new Failure(worldRank, error), null);

    public void Finish(int worldRank) => Volatile.Write(ref _finished[worldRank], true);

    public bool IsFinished(int worldRank) => Volatile.Read(ref _finished[worldRank]);

    /// <summary>Throws <see cref="RankFailedException"/> if some rank has failed.</summary>
    public void ThrowIfFailed(string where)
    {
        var failure = Volatile.Read(ref _failure);
        if (failure is null) return;
        throw new RankFailedException(
            failure.Rank,
            $"{where}: released because rank {failure.Rank} failed: {failure.Error.GetType().Name}: {failure.Error.Message}",
            failure.Error);
    }

    /// <summary>
    /// Marks <paramref name="worldRank"/> as inside a collective of <paramref name="group"/>, or returns the group it is
    /// already inside (another thread of the same rank). A rank's collectives must run one at a time: two at once would
    /// pair with the other ranks' calls in an order nobody chose, and one rank cannot wait in two places for the
    /// deadlock detector.
    /// </summary>
    public InProcessCommunicator? TryClaim(int worldRank, InProcessCommunicator group) =>
        (InProcessCommunicator?)Interlocked.CompareExchange(ref _inside[worldRank * InsideStride], group, null);

    public void Unclaim(int worldRank) => Volatile.Write(ref _inside[worldRank * InsideStride], null);
}
