namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// A reusable barrier for the ranks of one group that never hangs: while a rank waits in a releasable phase it
/// watches for a failed rank anywhere in the run and for a member that has finished without arriving, and then
/// withdraws and throws instead. Ranks first spin briefly (a collective's partner is usually microseconds behind),
/// then sleep on a monitor.
/// </summary>
/// <remarks>
/// The generation and the arrival count share one 64-bit word, so that withdrawing and closing a phase are atomic
/// with respect to each other: a rank may withdraw only while its phase is still open, and once the last rank has
/// closed it every rank goes on, because the others may already be reading the buffers it posted.
/// </remarks>
internal sealed class Rendezvous(InProcessRun run, int[] worldRanks, Func<int, string> describe)
{
    // Spinning past this costs the straggler its core on a 2-core machine; sleeping before it costs latency.
    private const int SpinIterations = 64;
    // How often a sleeping rank wakes to look for a failure: the bound on how late a release can come.
    private const int PollMilliseconds = 5;

    private readonly object _gate = new();
    private long _state; // generation << 32 | ranks arrived in this generation
    private int _sleepers;
    private readonly long[] _arrivals = new long[worldRanks.Length];

    private static int GenerationOf(long state) => (int)(state >> 32);

    private static int ArrivedOf(long state) => (int)(state & 0xFFFF_FFFF);

    // Odd, so never the 0 that marks "not arrived", whatever the generation.
    private static long ArrivalMark(int generation) => (long)generation * 2 + 1;

    /// <summary>Blocks until every member has called <see cref="Arrive"/> for the same phase.</summary>
    /// <param name="member">The caller's rank in the group; <c>describe(member)</c> names its collective in errors.</param>
    /// <param name="releasable">
    /// True where no rank has yet touched another's buffers (entering a collective): a failure elsewhere then
    /// releases the caller. False where every rank that got this far is sure to arrive (leaving a collective after
    /// moving data that never blocks): the caller must not leave while others may still use its buffers.
    /// </param>
    public void Arrive(int member, bool releasable)
    {
        long state = Interlocked.Increment(ref _state);
        int generation = GenerationOf(state);
        Volatile.Write(ref _arrivals[member], ArrivalMark(generation));
        if (ArrivedOf(state) == worldRanks.Length && TryClose(generation)) return;

        var spinner = new SpinWait();
        for (int i = 0; i < SpinIterations; i++)
        {
            if (GenerationOf(Volatile.Read(ref _state)) != generation) return;
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        Interlocked.Increment(ref _sleepers);
        try
        {
            while (GenerationOf(Volatile.Read(ref _state)) == generation)
            {
                lock (_gate)
                {
                    if (GenerationOf(Volatile.Read(ref _state)) != generation) break;
                    Monitor.Wait(_gate, PollMilliseconds);
                }
                if (!releasable || GenerationOf(Volatile.Read(ref _state)) != generation) continue;
                if (run.HasFailed && TryWithdraw(member, generation)) run.ThrowIfFailed(describe(member));
                if (AbandonedBy(member, generation) is { } absent && TryWithdraw(member, generation))
                {
                    // A failure that finished the absent rank is the better explanation.
                    if (run.HasFailed) run.ThrowIfFailed(describe(member));
                    throw new CollectiveAbandonedException(
                        $"{describe(member)}: rank {absent} (world rank {worldRanks[absent]}) finished its work without entering this collective; " +
                        "every rank of a group must call the same collectives in the same order.");
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _sleepers);
        }
    }

    /// <summary>The last arrival opens the next generation, unless a rank withdrew in between.</summary>
    private bool TryClose(int generation)
    {
        long full = ((long)generation << 32) | (uint)worldRanks.Length;
        long next = (long)(generation + 1) << 32;
        if (Interlocked.CompareExchange(ref _state, next, full) != full) return false;
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);
        return true;
    }

    /// <summary>Takes back this rank's arrival if its phase is still open; false once the phase has closed.</summary>
    private bool TryWithdraw(int member, int generation)
    {
        while (true)
        {
            long state = Volatile.Read(ref _state);
            if (GenerationOf(state) != generation) return false;
            if (Interlocked.CompareExchange(ref _state, state - 1, state) == state)
            {
                Volatile.Write(ref _arrivals[member], 0);
                return true;
            }
        }
    }

    /// <summary>A member that has finished its work without arriving in this open phase can never arrive.</summary>
    private int? AbandonedBy(int member, int generation)
    {
        for (int m = 0; m < worldRanks.Length; m++)
        {
            if (m == member || !run.IsFinished(worldRanks[m])) continue;
            // Read the flag first, then confirm: the finished member may have been the one that closed the phase.
            if (GenerationOf(Volatile.Read(ref _state)) != generation) return null;
            if (Volatile.Read(ref _arrivals[m]) == ArrivalMark(generation)) continue;
            return m;
        }
        return null;
    }
}
