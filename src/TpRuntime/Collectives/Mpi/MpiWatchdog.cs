using System.Diagnostics;
using System.Globalization;

namespace TpCodegen.Collectives.Mpi;

/// <summary>
/// Ends a job that would otherwise hang: a background thread watches which collective this rank is in, and if one
/// call lasts longer than <see cref="CollectiveOptions.Timeout"/> it aborts the whole job with a
/// <see cref="CollectiveTimeoutException"/> naming the rank, the collective and how long it waited. This is what
/// NCCL's and PyTorch's watchdogs do: a blocking MPI call cannot be interrupted, and a rank that never comes
/// (returned early, exited, called another collective) is invisible from inside it.
/// </summary>
/// <remarks>
/// The hot path is two counter stores and four field stores per collective, with no clock read: the watchdog samples
/// the counter and measures the wait itself, so its figure is at least the real wait minus one sampling tick.
/// </remarks>
internal static class MpiWatchdog
{
    /// <summary>A <c>kind</c> that is not a collective: the end-of-run barrier every rank enters when it is done.</summary>
    internal const int EndOfRun = -1;

    // Odd while this rank is inside a collective; every entry and exit bumps it, so an unchanged odd value means one call.
    private static long s_sequence;
    private static MpiProcessGroup? s_group;
    private static int s_kind;
    private static int s_count;
    private static bool s_checking;
    private static Thread? s_thread;

    internal static void Enter(MpiProcessGroup group, int kind, int count, bool checking)
    {
        s_group = group;
        s_kind = kind;
        s_count = count;
        s_checking = checking;
        Volatile.Write(ref s_sequence, s_sequence + 1);
    }

    internal static void Exit() => Volatile.Write(ref s_sequence, s_sequence + 1);

    /// <summary>Starts the watchdog thread once; called when MPI starts.</summary>
    internal static void Start()
    {
        if (s_thread is not null) return;
        s_thread = new Thread(Watch) { IsBackground = true, Name = "tp-mpi-watchdog" };
        s_thread.Start();
    }

    private static void Watch()
    {
        long watched = 0, since = 0;
        while (true)
        {
            var timeout = CollectiveOptions.Timeout;
            // Ten looks per timeout, between 10 ms and 1 s: the abort comes at most a tenth late, and an idle rank wakes once a second.
            Thread.Sleep(TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond)));
            long sequence = Volatile.Read(ref s_sequence);
            if ((sequence & 1) == 0) continue;
            if (sequence != watched)
            {
                watched = sequence;
                since = Stopwatch.GetTimestamp();
                continue;
            }
            var waited = Stopwatch.GetElapsedTime(since);
            if (waited < timeout) continue;
            string what = Describe();
            // The fields belong to this call only if the counter has not moved while they were read.
            if (Volatile.Read(ref s_sequence) != sequence) continue;
            MpiWorld.Abort(new CollectiveTimeoutException(Message(what, waited, timeout)));
        }
    }

    private static string Describe()
    {
        var group = s_group;
        string call = s_kind == EndOfRun
            ? "the end-of-run barrier"
            : $"{(CollectiveKind)s_kind}{(s_kind is (int)CollectiveKind.Barrier or (int)CollectiveKind.Split ? "" : $" of {s_count} floats")}";
        if (s_checking && s_kind != EndOfRun) call = $"the consistency check before {call}";
        return $"{call} on {group?.Name ?? "world"} (rank {group?.Rank} of {group?.Size})";
    }

    private static string Message(string what, TimeSpan waited, TimeSpan timeout)
    {
        string seconds = string.Create(CultureInfo.InvariantCulture, $"{waited.TotalSeconds:0.0} s");
        string limit = string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds:0.###} s");
        string why = s_kind == EndOfRun
            ? "this rank's work is done (its body returned or the process is exiting), but other ranks are still inside collectives it never entered, or still working"
            : "some rank of the group is not in this collective: it failed, returned, exited, or called a different collective";
        return $"{what} has waited {seconds}, past the collective timeout of {limit} ({CollectiveOptions.TimeoutVariable}): {why}. " +
            $"Aborting the job. Set {CollectiveOptions.DebugVariable}=1 to check every collective across ranks before it runs.";
    }
}
