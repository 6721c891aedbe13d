using TpCodegen.Collectives;

namespace TpCodegen.Bench.Collectives;

/// <summary>
/// Keeps ranks 1..N-1 of an in-process world alive on their own threads, each repeating the collective that
/// rank 0 (the benchmark thread) runs, so a measurement sees the collective alone, not thread start-up.
/// </summary>
internal sealed class RankPartners : IDisposable
{
    private readonly Action<ProcessGroup> _collective;
    private readonly Thread[] _threads;
    private volatile bool _stopping;

    public RankPartners(ProcessGroup[] groups, Action<ProcessGroup> collective)
    {
        Leader = groups[0];
        _collective = collective;
        _threads = groups.Skip(1).Select(group => new Thread(() =>
        {
            while (!_stopping) collective(group);
        }) { IsBackground = true, Name = $"bench-rank-{group.Rank}" }).ToArray();
        foreach (var thread in _threads) thread.Start();
    }

    /// <summary>Rank 0's group, for the benchmark thread.</summary>
    public ProcessGroup Leader { get; }

    public void Dispose()
    {
        _stopping = true;
        // One last round lets every partner finish the call it is waiting in and see the flag.
        _collective(Leader);
        foreach (var thread in _threads) thread.Join();
    }
}
