using System.Globalization;

namespace TpCodegen.Collectives;

/// <summary>
/// How the MPI backend guards its collectives: the watchdog's timeout and the debug mode that checks every call
/// across ranks. Both start from environment variables (so a job is tuned without a rebuild) and can be set in code
/// before <see cref="Launcher.Run"/>. The in-process backend needs neither: it sees every rank and releases a
/// mismatch, a failure, an absent rank or a deadlock as soon as it happens.
/// </summary>
public static class CollectiveOptions
{
    /// <summary>Environment variable: the collective timeout in seconds (a decimal number), e.g. <c>TP_COLLECTIVE_TIMEOUT=120</c>.</summary>
    public const string TimeoutVariable = "TP_COLLECTIVE_TIMEOUT";

    /// <summary>Environment variable: <c>1</c> turns on the debug checks (<see cref="DebugChecks"/>), <c>0</c> or unset leaves them off.</summary>
    public const string DebugVariable = "TP_DISTRIBUTED_DEBUG";

    /// <summary>Environment variable: <c>yield</c> (the default) or <c>spin</c>, how an MPI rank waits in a collective (<see cref="YieldWhileWaiting"/>).</summary>
    public const string WaitVariable = "TP_MPI_WAIT";

    /// <summary>The timeout when <see cref="TimeoutVariable"/> is unset: ten minutes, as PyTorch's default for NCCL.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    // Read from the environment on first use rather than in a static initialiser, so that a bad value is reported
    // as itself instead of as a TypeInitializationException. 0 means "not read yet".
    private static long s_timeoutTicks;
    private static int s_debugChecks; // 0 not read yet, 1 off, 2 on
    private static int s_yieldWhileWaiting; // 0 not read yet, 1 spin, 2 yield

    /// <summary>
    /// How long one rank may wait in one collective under MPI (including the end-of-run barrier that every rank enters
    /// when its body returns or the process exits) before the watchdog aborts the whole job, naming the rank, the
    /// collective and how long it waited. A rank that is still computing does not count: only time inside a collective.
    /// </summary>
    public static TimeSpan Timeout
    {
        get
        {
            long ticks = Interlocked.Read(ref s_timeoutTicks);
            if (ticks == 0)
            {
                ticks = ReadTimeout().Ticks;
                Interlocked.CompareExchange(ref s_timeoutTicks, ticks, 0);
            }
            return TimeSpan.FromTicks(Interlocked.Read(ref s_timeoutTicks));
        }
        set
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The collective timeout must be positive.");
            Interlocked.Exchange(ref s_timeoutTicks, value.Ticks);
        }
    }

    /// <summary>
    /// When true, the MPI backend checks before every collective that every rank of the group called the same one
    /// (kind, element count, reduce op, root), with one extra all-reduce of a few integers, and throws a
    /// <see cref="CollectiveMismatchException"/> that lists every rank's call on every rank when they differ. Off by
    /// default: it costs about one small-message latency per collective (see docs/mpi.md). Without it the backend
    /// checks only the calls that differ from the group's previous call (and every barrier), which already keeps any
    /// rank from returning a wrong result, but may leave a disagreement to the watchdog instead of reporting it at once.
    /// </summary>
    public static bool DebugChecks
    {
        get => ReadLazily(ref s_debugChecks, ReadDebug);
        set => Volatile.Write(ref s_debugChecks, value ? 2 : 1);
    }

    /// <summary>
    /// How an MPI rank waits for a collective to complete. True (the default): the collective starts nonblocking and the
    /// rank polls it, spinning briefly and then yielding its core between polls. False: MPI's blocking call, which
    /// busy-polls without ever yielding. Spinning is right when every rank owns a core and nothing else runs; where cores
    /// are shared (more ranks than cores, a laptop, a CI VM, or .NET's GC and JIT threads beside single-threaded ranks), a
    /// rank that arrived early holds a core the rank it waits for needs, and every collective costs the slowest rank's
    /// lost time slices (docs/mpi.md has the measurements).
    /// </summary>
    public static bool YieldWhileWaiting
    {
        get => ReadLazily(ref s_yieldWhileWaiting, ReadWait);
        set => Volatile.Write(ref s_yieldWhileWaiting, value ? 2 : 1);
    }

    // A switch is 0 until first read (then the environment decides), 1 for false, 2 for true; a setter wins over the
    // environment, and a race between two first reads settles on whichever stored first.
    private static bool ReadLazily(ref int state, Func<bool> fromEnvironment)
    {
        int current = Volatile.Read(ref state);
        if (current == 0)
        {
            Interlocked.CompareExchange(ref state, fromEnvironment() ? 2 : 1, 0);
            current = Volatile.Read(ref state);
        }
        return current == 2;
    }

    private static bool ReadWait()
    {
        string? text = Environment.GetEnvironmentVariable(WaitVariable);
        return text?.Trim().ToUpperInvariant() switch
        {
            null or "" or "YIELD" => true,
            "SPIN" => false,
            _ => throw new InvalidOperationException($"{WaitVariable}={text} is not a wait mode: use yield (poll and yield the core, the default) or spin (MPI's blocking calls)."),
        };
    }

    private static TimeSpan ReadTimeout()
    {
        string? text = Environment.GetEnvironmentVariable(TimeoutVariable);
        if (string.IsNullOrWhiteSpace(text)) return DefaultTimeout;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) ||
            !(seconds > 0) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            throw new InvalidOperationException(
                $"{TimeoutVariable}={text} is not a timeout: give a positive number of seconds, e.g. {TimeoutVariable}=600.");
        return TimeSpan.FromSeconds(seconds);
    }

    private static bool ReadDebug()
    {
        string? text = Environment.GetEnvironmentVariable(DebugVariable);
        return text?.Trim().ToUpperInvariant() switch
        {
            null or "" or "0" or "OFF" or "FALSE" => false,
            "1" or "ON" or "TRUE" or "DETAIL" => true,
            _ => throw new InvalidOperationException($"{DebugVariable}={text} is not a setting: use 1 to turn the debug checks on, 0 to leave them off."),
        };
    }
}
