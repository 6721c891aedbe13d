namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// A reusable barrier for the ranks of one group that never hangs: while a rank waits it watches for a failed
/// rank anywhere in the run and for a member that has finished without arriving, and throws instead.
/// Ranks first spin briefly (a collective's partner is usually microseconds behind), then sleep on a monitor.
/// </summary>
internal sealed class Rendezvous(InProcessRun run, int[] worldRanks, Func<int, string> describe)
{
    // Spinning past this costs the straggler its core on a 2-core machine; sleeping before it costs latency.
    private const int SpinIterations = 64;
    // How often a sleeping rank wakes to look for a failure: the bound on how late a release can come.
    private const int PollMilliseconds = 5;

    private readonly object _gate = new();
    private int _arrived;
    private int _generation;
    private int _sleepers;
    private readonly long[] _arrivals = new long[worldRanks.Length];

    /// <summary>Blocks until every member has called <see cref="Arrive"/> for the same phase.</summary>
    /// <param name="member">The caller's rank in the group; <c>describe(member)</c> names its collective in errors.</param>
    public void Arrive(int member)
    {
        int generation = Volatile.Read(ref _generation);
        _arrivals[member] = generation + 1L;
        if (Interlocked.Increment(ref _arrived) == worldRanks.Length)
        {
            Volatile.Write(ref _arrived, 0);
            Interlocked.Increment(ref _generation); // full fence: pairs with the sleeper's increment below
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);
            return;
        }

        var spinner = new SpinWait();
        for (int i = 0; i < SpinIterations; i++)
        {
            if (Volatile.Read(ref _generation) != generation) return;
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        Interlocked.Increment(ref _sleepers);
        try
        {
            while (Volatile.Read(ref _generation) == generation)
            {
                lock (_gate)
                {
                    if (Volatile.Read(ref _generation) != generation) break;
                    Monitor.Wait(_gate, PollMilliseconds);
                }
                if (Volatile.Read(ref _generation) != generation) break;
                if (run.HasFailed) run.ThrowIfFailed(describe(member));
                ThrowIfAbandoned(member, generation);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _sleepers);
        }
    }

    private void ThrowIfAbandoned(int member, int generation)
    {
        for (int m = 0; m < worldRanks.Length; m++)
        {
            // A member that has finished its work can never arrive. Read the flag first, then confirm the
            // phase is still open: the finished member may have been the one that closed it.
            if (!run.IsFinished(worldRanks[m]) || Volatile.Read(ref _generation) != generation) continue;
            if (Volatile.Read(ref _arrivals[m]) == generation + 1L) continue;
            throw new CollectiveAbandonedException(
                $"{describe(member)}: rank {m} (world rank {worldRanks[m]}) finished its work without entering this collective; " +
                "every rank of a group must call the same collectives in the same order.");
        }
    }
}
