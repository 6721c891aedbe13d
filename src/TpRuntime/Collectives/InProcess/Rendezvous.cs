namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// A reusable barrier for the ranks of one group that never hangs: while a rank waits in a releasable phase it
/// watches for a failed rank anywhere in the run, for a member that has finished without arriving, and for a
/// deadlock across groups (<see cref="DeadlockDetector"/>), and then withdraws and throws instead. Ranks first
/// spin briefly (a collective's partner is usually microseconds behind), then sleep on a monitor.
/// </summary>
/// <remarks>
/// The generation and the arrival count share one 64-bit word, so that withdrawing and closing a phase are atomic
/// with respect to each other: a rank may withdraw only while its phase is still open, and once the last rank has
/// closed it every rank goes on, because the others may already be reading the buffers it posted.
/// </remarks>
internal sealed class Rendezvous
{
    // Spinning past this costs the straggler its core on a 2-core machine; sleeping before it costs latency.
    private const int SpinIterations = 64;
    // How often a sleeping rank wakes to look for a failure: the bound on how late a release can come.
    private const int PollMilliseconds = 5;

    private readonly object _gate = new();
    private long _state; // generation << 32 | ranks arrived in this generation
    private int _sleepers;
    private readonly InProcessRun _run;
    private readonly int[] _worldRanks;
    private readonly Func<int, string> _describe;
    private readonly long[] _arrivals;
    private readonly WaitSlot[] _slots;

    public Rendezvous(InProcessRun run, int[] worldRanks, Func<int, string> describe)
    {
        _run = run;
        _worldRanks = worldRanks;
        _describe = describe;
        _arrivals = new long[worldRanks.Length];
        _slots = new WaitSlot[worldRanks.Length];
        for (int member = 0; member < _slots.Length; member++) _slots[member] = new WaitSlot(this, member);
    }

    private static int GenerationOf(long state) => (int)(state >> 32);

    private static int ArrivedOf(long state) => (int)(state & 0xFFFF_FFFF);

    // Odd, so never the 0 that marks "not arrived", whatever the generation.
    private static long ArrivalMark(int generation) => (long)generation * 2 + 1;

    /// <summary>Blocks until every member has called <see cref="Arrive"/> for the same phase.</summary>
    /// <param name="member">The caller's rank in the group; <c>describe(member)</c> names its collective in errors.</param>
    /// <param name="releasable">
    /// True where no rank has yet touched another's buffers (entering a collective): a failure elsewhere, a member
    /// that finished without arriving, or a deadlock across groups then releases the caller. False where every rank
    /// that got this far is sure to arrive (leaving a collective after moving data that never blocks): the caller must
    /// not leave while others may still use its buffers.
    /// </param>
    public void Arrive(int member, bool releasable)
    {
        long state = Interlocked.Increment(ref _state);
        int generation = GenerationOf(state);
        long mark = ArrivalMark(generation);
        Volatile.Write(ref _arrivals[member], mark);
        if (ArrivedOf(state) == _worldRanks.Length && TryClose(generation)) return;

        var spinner = new SpinWait();
        for (int i = 0; i < SpinIterations; i++)
        {
            if (GenerationOf(Volatile.Read(ref _state)) != generation) return;
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        int worldRank = _worldRanks[member];
        if (releasable) _run.Deadlocks.Publish(worldRank, _slots[member], generation);
        Interlocked.Increment(ref _sleepers);
        try
        {
            while (GenerationOf(Volatile.Read(ref _state)) == generation)
            {
                if (releasable) ThrowIfReleased(member, generation, mark);
                lock (_gate)
                {
                    if (GenerationOf(Volatile.Read(ref _state)) != generation) break;
                    Monitor.Wait(_gate, PollMilliseconds);
                }
            }
        }
        finally
        {
            if (releasable) _run.Deadlocks.Unpublish(worldRank);
            Interlocked.Decrement(ref _sleepers);
        }
    }

    /// <summary>Withdraws and throws if this wait can never end: a failed rank, a member that finished without arriving, a deadlock.</summary>
    private void ThrowIfReleased(int member, int generation, long mark)
    {
        // Only the deadlock detector takes back another rank's arrival, and it does so for every waiting rank at once.
        if (Volatile.Read(ref _arrivals[member]) != mark) ThrowDeadlock();
        if (_run.HasFailed && TryWithdraw(member, generation)) _run.ThrowIfFailed(_describe(member));
        if (AbandonedBy(member, generation) is { } absent && TryWithdraw(member, generation))
        {
            // A failure that finished the absent rank is the better explanation.
            if (_run.HasFailed) _run.ThrowIfFailed(_describe(member));
            throw new CollectiveAbandonedException(
                _worldRanks[absent],
                $"{_describe(member)}: rank {absent} (world rank {_worldRanks[absent]}) finished its work without entering this collective; " +
                "every rank of a group must call the same collectives in the same order.");
        }
        if (_run.Deadlocks.TryRelease() && Volatile.Read(ref _arrivals[member]) != mark) ThrowDeadlock();
    }

    private void ThrowDeadlock()
    {
        _run.Deadlocks.AwaitRelease();
        throw new CollectiveDeadlockException(_run.Deadlocks.Report);
    }

    /// <summary>True while phase <paramref name="generation"/> has not closed.</summary>
    public bool IsOpen(int generation) => GenerationOf(Volatile.Read(ref _state)) == generation;

    /// <summary>True if a member that has finished its work never arrived in open phase <paramref name="generation"/>.</summary>
    public bool HasFinishedAbsentee(int generation) => AbandonedBy(-1, generation) is not null;

    /// <summary>What <paramref name="member"/> is waiting in, for messages.</summary>
    public string Describe(int member) => _describe(member);

    /// <summary>Takes back a deadlocked member's arrival on its behalf and wakes it, so that it sees it was released.</summary>
    public void WithdrawForDeadlock(int member, int generation)
    {
        TryWithdraw(member, generation);
        lock (_gate) Monitor.PulseAll(_gate);
    }

    /// <summary>The last arrival opens the next generation, unless a rank withdrew in between.</summary>
    private bool TryClose(int generation)
    {
        long full = ((long)generation << 32) | (uint)_worldRanks.Length;
        long next = (long)(generation + 1) << 32;
        if (Interlocked.CompareExchange(ref _state, next, full) != full) return false;
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);
        return true;
    }

    /// <summary>
    /// Takes back the member's arrival if its phase is still open and the arrival has not been taken back already;
    /// false otherwise. Serialised by the gate, so that the member itself and the deadlock detector never both
    /// take back the same arrival (arrivals themselves stay lock-free).
    /// </summary>
    private bool TryWithdraw(int member, int generation)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _arrivals[member]) != ArrivalMark(generation)) return false;
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
    }

    /// <summary>A member that has finished its work without arriving in this open phase can never arrive.</summary>
    private int? AbandonedBy(int member, int generation)
    {
        for (int m = 0; m < _worldRanks.Length; m++)
        {
            if (m == member || !_run.IsFinished(_worldRanks[m])) continue;
            // Read the flag first, then confirm: the finished member may have been the one that closed the phase.
            if (GenerationOf(Volatile.Read(ref _state)) != generation) return null;
            if (Volatile.Read(ref _arrivals[m]) == ArrivalMark(generation)) continue;
            return m;
        }
        return null;
    }
}
