using System.Runtime.CompilerServices;
using System.Text;

namespace TpCodegen.Collectives.Mpi;

/// <summary>
/// Checks, across the processes of one group, that every rank called the same collective: MPI itself only notices
/// some disagreements (a receive too short for what arrives, on some ranks) and hangs or returns wrong sums on the
/// others. The checks run on a duplicate of the group's communicator that carries nothing else, so a check can only
/// ever meet another rank's check, never its data.
/// </summary>
/// <remarks>
/// Each rank keeps a checksum of every call it made on the group (kind, element count, op, root) and the call it made
/// last: a few integer operations per call. A check is one MPI_Allreduce(MAX) of ten ints: the call and the checksum,
/// and their negations (whose maximum is minus the minimum), so that every rank learns whether all agree. Only when
/// they do not, an MPI_Allgather collects every rank's call for the message, which every rank then throws.
/// <list type="bullet">
/// <item>Always checked: <see cref="ProcessGroup.Barrier"/> (the check is the barrier), <see cref="ProcessGroup.Split"/>,
/// the end-of-run barrier, and every collective that differs from the group's previous one. The last rule is what
/// keeps a rank from ever returning a wrong result without costing anything while a group repeats one call (the
/// steady state of a forward loop): as long as all ranks made the same calls so far, they share the previous call,
/// so if they now disagree, some rank's call differs from it and that rank checks. Either every rank checks, and all
/// see the mismatch, or the checking ranks wait on the check while the others wait in the data collective: neither
/// completes, and the watchdog ends the job. No data moves between ranks that disagree.</item>
/// <item>With <see cref="CollectiveOptions.DebugChecks"/>: every collective, before it runs, so that a disagreement is
/// always reported at once with every rank's call.</item>
/// </list>
/// </remarks>
internal sealed unsafe class MpiCallCheck(MpiProcessGroup group, nint control)
{
    private const int Fields = 5; // kind, count, op, root, checksum of the earlier calls
    private const int ChecksumMask = 0x7FFF_FFFF; // non-negative, so that its negation fits an int

    private nint _control = control;
    private int _checksum;
    private int _lastKind = int.MinValue, _lastCount, _lastOp, _lastRoot; // int.MinValue: no call yet

    /// <summary>True if this call is the same as the group's previous one: then it needs no check (see remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Repeats(int kind, int count, int op, int root) =>
        kind == _lastKind && count == _lastCount && op == _lastOp && root == _lastRoot;

    /// <summary>Remembers this call as the previous one and folds it into the checksum of the group's calls (FNV-1a over the four fields).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(int kind, int count, int op, int root)
    {
        _lastKind = kind;
        _lastCount = count;
        _lastOp = op;
        _lastRoot = root;
        uint hash = (uint)_checksum ^ 2166136261;
        hash = (hash ^ (uint)kind) * 16777619;
        hash = (hash ^ (uint)count) * 16777619;
        hash = (hash ^ (uint)op) * 16777619;
        hash = (hash ^ (uint)root) * 16777619;
        _checksum = (int)hash & ChecksumMask;
    }

    /// <summary>Collective: throws <see cref="CollectiveMismatchException"/> on every rank unless all ranks make this call after the same calls.</summary>
    /// <param name="beforeCall">True for the check ahead of a data collective; false where the check is the whole call (a barrier).</param>
    public void Verify(int kind, int count, int op, int root, bool beforeCall)
    {
        int* values = stackalloc int[2 * Fields];
        values[0] = kind;
        values[1] = count;
        values[2] = op;
        values[3] = root;
        values[4] = _checksum;
        for (int i = 0; i < Fields; i++) values[Fields + i] = -values[i];

        MpiWatchdog.Enter(group, kind, count, checking: beforeCall);
        int rc = MpiRequest.Yielding
            ? MpiRequest.Complete(MpiNative.Iallreduce((void*)MpiNative.InPlace, values, 2 * Fields, MpiNative.Int, MpiNative.OpMax, _control, out nint request), request)
            : MpiNative.Allreduce((void*)MpiNative.InPlace, values, 2 * Fields, MpiNative.Int, MpiNative.OpMax, _control);
        MpiWatchdog.Exit();
        if (rc != MpiNative.Success)
            throw MpiException.FromCode(rc, "MPI_Allreduce", $"the consistency check before {Describe(kind, count, op, root)} on {group}");

        for (int i = 0; i < Fields; i++)
            if (values[i] != -values[Fields + i])
                throw Mismatch(kind, count, op, root, beforeCall);
    }

    public void Free()
    {
        if (_control != MpiNative.CommNull) MpiNative.CommFree(ref _control);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private CollectiveMismatchException Mismatch(int kind, int count, int op, int root, bool beforeCall)
    {
        int[] mine = [kind, count, op, root, _checksum];
        var all = new int[Fields * group.Size];
        int rc;
        fixed (int* send = mine)
        fixed (int* receive = all)
        {
            MpiWatchdog.Enter(group, kind, count, checking: beforeCall);
            rc = MpiNative.Allgather(send, Fields, MpiNative.Int, receive, Fields, MpiNative.Int, _control);
            MpiWatchdog.Exit();
        }
        if (rc != MpiNative.Success)
            return new CollectiveMismatchException(
                $"Ranks of {group.Name} disagree on the call after {group.Rank}'s {Describe(kind, count, op, root)}, and gathering every rank's call failed too (MPI error {rc}).");

        var ranks = Enumerable.Range(0, group.Size);
        string calls = string.Join(", ", ranks.Select(r => $"rank {r} {Describe(all[r * Fields], all[r * Fields + 1], all[r * Fields + 2], all[r * Fields + 3])}"));
        var text = new StringBuilder();
        bool sameCall = ranks.All(r => all.AsSpan(r * Fields, Fields - 1).SequenceEqual(all.AsSpan(0, Fields - 1)));
        if (sameCall)
        {
            text.Append($"Ranks of {group.Name} agree on this call ({Describe(all[0], all[1], all[2], all[3])}) but made different calls on {group.Name} before it ");
            text.Append($"(checksums of their earlier calls: {string.Join(", ", ranks.Select(r => $"rank {r} {all[r * Fields + 4]:x8}"))}). ");
            text.Append($"Set {CollectiveOptions.DebugVariable}=1 to have every call checked before it runs and find the first that differs.");
        }
        else
        {
            text.Append($"Ranks of {group.Name} called different collectives: {calls}");
            // The same words on every rank, whichever side of the disagreement it is on.
            text.Append(CollectiveOptions.DebugChecks
                ? $" (found by the check before every call, {CollectiveOptions.DebugVariable}=1)."
                : " (found by the check before a call that differs from the group's previous one).");
        }
        text.Append(" Every rank of a group must call the same collectives, with the same sizes, in the same order.");
        return new CollectiveMismatchException(text.ToString());
    }

    private static string Describe(int kind, int count, int op, int root) => kind == MpiWatchdog.EndOfRun
        ? "end of run (its work is done: its body returned or its process is exiting)"
        : new CollectiveCall((CollectiveKind)kind, count, root, (ReduceOp)op).ToString();
}
