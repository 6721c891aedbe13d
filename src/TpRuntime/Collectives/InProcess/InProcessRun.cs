namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// The state every group of one in-process run shares: which world rank failed first, and which ranks have
/// finished their work. Waiting ranks poll it, so one failure releases every collective of every sub-group.
/// </summary>
internal sealed class InProcessRun(int size)
{
    private sealed record Failure(int Rank, Exception Error);

    private Failure? _failure;
    private readonly bool[] _finished = new bool[size];

    public int Size { get; } = size;

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
}
