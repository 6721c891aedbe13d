using System.Text;

namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// Finds the state no single group can see: every rank still running waits in a collective that cannot complete
/// because the ranks it needs wait in other collectives (rank 0 in the world's all-reduce, rank 1 in a sub-group's;
/// a tensor-parallel and a data-parallel group entered in opposite orders). It then withdraws every waiting rank at
/// once and lets each throw a <see cref="CollectiveDeadlockException"/> that lists what every rank waited in.
/// </summary>
/// <remarks>
/// A phase closes only when its last member arrives, and a rank that has arrived does nothing but wait. So if every
/// unfinished rank has arrived in a phase that is still open, no rank is left that could arrive anywhere: nothing
/// can ever close. The detector proves that state with two scans of what the ranks published: if both see the same
/// waits (same slot, generation and publication number for every rank, every phase still open), no phase closed and
/// no rank moved between them, because generations only grow and every new wait gets a new number. Ranks waiting in
/// a phase that a finished rank never entered are left to the abandonment release, which names that rank.
/// </remarks>
internal sealed class DeadlockDetector
{
    private readonly InProcessRun _run;
    private readonly Lock _gate = new();
    private readonly WaitSlot?[] _waiting;
    private readonly long[] _publications;
    private readonly Scan _first, _second;
    private string? _report;

    public DeadlockDetector(InProcessRun run)
    {
        _run = run;
        _waiting = new WaitSlot?[run.Size];
        _publications = new long[run.Size];
        _first = new Scan(run.Size);
        _second = new Scan(run.Size);
    }

    /// <summary>
    /// Called by a rank that finds its arrival taken back: returns once the detector has taken back every deadlocked
    /// rank's arrival. Until then the released rank must not retry: its new arrival could complete a phase together
    /// with arrivals the detector has not yet taken back.
    /// </summary>
    public void AwaitRelease()
    {
        _gate.Enter();
        _gate.Exit();
    }

    /// <summary>What the last detected deadlock looked like; read by the ranks it released.</summary>
    public string Report => Volatile.Read(ref _report) ?? "a deadlock was detected";

    /// <summary>Marks <paramref name="worldRank"/> as waiting in <paramref name="slot"/>'s phase <paramref name="generation"/>.</summary>
    public void Publish(int worldRank, WaitSlot slot, int generation)
    {
        slot.Generation = generation;
        Volatile.Write(ref _publications[worldRank], _publications[worldRank] + 1);
        Volatile.Write(ref _waiting[worldRank], slot);
    }

    public void Unpublish(int worldRank) => Volatile.Write(ref _waiting[worldRank], null);

    /// <summary>
    /// Releases every waiting rank if the run is deadlocked; false (and nothing changed) otherwise. The gate is held
    /// until every arrival is taken back (see <see cref="AwaitRelease"/>).
    /// </summary>
    public bool TryRelease()
    {
        // One detector at a time; a rank that finds it busy simply checks again on its next poll.
        if (!_gate.TryEnter()) return false;
        try
        {
            if (!_first.Take(this) || !_second.Take(this) || !_first.SameAs(_second)) return false;
            if (_run.HasFailed || _first.WaitsOnAFinishedRank()) return false;

            Volatile.Write(ref _report, _first.Describe(_run.Size));
            for (int rank = 0; rank < _run.Size; rank++)
            {
                if (_first.Slots[rank] is not { } slot) continue;
                // Unpublish before withdrawing: once withdrawn the rank may throw and wait anew, and that new wait must stay.
                Interlocked.CompareExchange(ref _waiting[rank], null, slot);
                slot.Owner.WithdrawForDeadlock(slot.Member, _first.Generations[rank]);
            }
            return true;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>One pass over every rank; preallocated, so detection on a sleeping rank allocates nothing until it finds a deadlock.</summary>
    private sealed class Scan(int size)
    {
        public readonly WaitSlot?[] Slots = new WaitSlot?[size];
        public readonly int[] Generations = new int[size];
        public readonly long[] Publications = new long[size];
        private readonly bool[] _finished = new bool[size];

        /// <summary>False as soon as some unfinished rank is not waiting in an open phase: then nothing is proved.</summary>
        public bool Take(DeadlockDetector detector)
        {
            bool anyWaiting = false;
            for (int rank = 0; rank < Slots.Length; rank++)
            {
                Slots[rank] = null;
                _finished[rank] = detector._run.IsFinished(rank);
                if (_finished[rank]) continue;
                var slot = Volatile.Read(ref detector._waiting[rank]);
                if (slot is null) return false;
                long publication = Volatile.Read(ref detector._publications[rank]);
                int generation = slot.Generation;
                if (!slot.Owner.IsOpen(generation)) return false;
                // Confirm the three reads belong to one publication.
                if (!ReferenceEquals(Volatile.Read(ref detector._waiting[rank]), slot) ||
                    Volatile.Read(ref detector._publications[rank]) != publication) return false;
                Slots[rank] = slot;
                Generations[rank] = generation;
                Publications[rank] = publication;
                anyWaiting = true;
            }
            return anyWaiting;
        }

        public bool SameAs(Scan other)
        {
            for (int rank = 0; rank < Slots.Length; rank++)
                if (!ReferenceEquals(Slots[rank], other.Slots[rank]) || _finished[rank] != other._finished[rank] ||
                    Generations[rank] != other.Generations[rank] || Publications[rank] != other.Publications[rank])
                    return false;
            return true;
        }

        public bool WaitsOnAFinishedRank()
        {
            for (int rank = 0; rank < Slots.Length; rank++)
                if (Slots[rank] is { } slot && slot.Owner.HasFinishedAbsentee(Generations[rank])) return true;
            return false;
        }

        public string Describe(int size)
        {
            var text = new StringBuilder("Deadlock: every rank still running waits in a collective that can never complete, because the ranks it needs wait in others: ");
            var waits = new List<string>();
            for (int rank = 0; rank < size; rank++)
                waits.Add(Slots[rank] is { } slot
                    ? $"world rank {rank} waits in {slot.Owner.Describe(slot.Member)}"
                    : $"world rank {rank} has finished");
            text.AppendJoin("; ", waits);
            text.Append(". Every rank must enter the collectives of the groups it shares with others in the same order.");
            return text.ToString();
        }
    }
}
