using System.Globalization;

namespace TpCodegen.MpiTests;

/// <summary>
/// Jobs that go wrong on purpose under a real mpiexec (the driver's fault mode): a rank returns early or calls
/// Environment.Exit(0), the ranks call different collectives, different sizes, or a barrier against an all-reduce,
/// each with and without the debug checks, and each also after a call the well-behaved ranks repeat (so that they
/// skip the check and only the watchdog can end the job). Each must end, well before <see cref="MpiJob.Timeout"/>,
/// with a non-zero exit code and an error that says what happened; no rank may get past a collective the others did
/// not make.
/// </summary>
public sealed class MpiFaultTests
{
    // A few seconds: long enough that a loaded 2-core machine never trips it on a healthy collective, short enough
    // that the cases the watchdog must end finish quickly.
    private const string WatchdogSeconds = "3";

    // Generous: the debug checks end a job in well under a second, the watchdog cases in about WatchdogSeconds.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Debug = new() { ["TP_DISTRIBUTED_DEBUG"] = "1", ["TP_COLLECTIVE_TIMEOUT"] = WatchdogSeconds };
    private static readonly Dictionary<string, string> NoDebug = new() { ["TP_DISTRIBUTED_DEBUG"] = "0", ["TP_COLLECTIVE_TIMEOUT"] = WatchdogSeconds };

    [MpiTheory]
    [InlineData("early-return", 2, "rank 0 AllReduce(16 floats, Sum), rank 1 end of run (its work is done: its body returned or its process is exiting)")]
    [InlineData("early-return", 4, "rank 0 AllReduce(16 floats, Sum), rank 1 end of run (its work is done: its body returned or its process is exiting), rank 2 AllReduce(16 floats, Sum), rank 3 AllReduce(16 floats, Sum)")]
    [InlineData("exit", 2, "rank 0 AllReduce(16 floats, Sum), rank 1 end of run")]
    [InlineData("exit", 4, "rank 0 AllReduce(16 floats, Sum), rank 1 end of run")]
    [InlineData("kinds", 2, "rank 0 AllReduce(16 floats, Sum), rank 1 Broadcast(16 floats, root 0)")]
    [InlineData("kinds", 4, "rank 0 AllReduce(16 floats, Sum), rank 1 Broadcast(16 floats, root 0), rank 2 Broadcast(16 floats, root 0), rank 3 Broadcast(16 floats, root 0)")]
    [InlineData("sizes", 2, "rank 0 AllReduce(16 floats, Sum), rank 1 AllReduce(8 floats, Sum)")]
    [InlineData("sizes", 4, "rank 0 AllReduce(16 floats, Sum), rank 1 AllReduce(8 floats, Sum), rank 2 AllReduce(8 floats, Sum), rank 3 AllReduce(8 floats, Sum)")]
    [InlineData("barrier", 2, "rank 0 Barrier, rank 1 AllReduce(16 floats, Sum)")]
    [InlineData("barrier", 4, "rank 0 Barrier, rank 1 AllReduce(16 floats, Sum), rank 2 AllReduce(16 floats, Sum), rank 3 AllReduce(16 floats, Sum)")]
    [InlineData("sizes-repeated", 4, "rank 0 AllReduce(16 floats, Sum), rank 1 AllReduce(8 floats, Sum), rank 2 AllReduce(8 floats, Sum), rank 3 AllReduce(8 floats, Sum)")]
    public void With_debug_checks_every_fault_ends_at_once_with_every_rank_s_call(string fault, int ranks, string calls)
    {
        var job = Run(Debug, fault, ranks);

        Assert.Contains($"failed: CollectiveMismatchException: Ranks of world called different collectives: {calls}", job.Output, StringComparison.Ordinal);
        Assert.Contains("(found by the check before every call, TP_DISTRIBUTED_DEBUG=1)", job.Output, StringComparison.Ordinal);
        // Checked before it ran: no rank got past the collective.
        Assert.DoesNotContain("returned from the faulty collective", job.Output, StringComparison.Ordinal);
    }

    [MpiTheory]
    [InlineData("early-return", 4, "rank 1 end of run")]
    [InlineData("exit", 2, "rank 1 end of run")]
    [InlineData("kinds", 2, "rank 0 AllReduce(16 floats, Sum), rank 1 Broadcast(16 floats, root 0)")]
    [InlineData("sizes", 4, "rank 0 AllReduce(16 floats, Sum), rank 1 AllReduce(8 floats, Sum), rank 2 AllReduce(8 floats, Sum), rank 3 AllReduce(8 floats, Sum)")]
    [InlineData("barrier", 2, "rank 0 Barrier, rank 1 AllReduce(16 floats, Sum)")]
    public void Without_debug_checks_a_call_that_differs_from_the_previous_one_is_still_checked_at_once(string fault, int ranks, string calls)
    {
        var job = Run(NoDebug, fault, ranks);

        Assert.Contains("failed: CollectiveMismatchException: Ranks of world called different collectives: ", job.Output, StringComparison.Ordinal);
        Assert.Contains(calls, job.Output, StringComparison.Ordinal);
        Assert.Contains("(found by the check before a call that differs from the group's previous one)", job.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("returned from the faulty collective", job.Output, StringComparison.Ordinal);
    }

    [MpiTheory]
    [InlineData("early-return-repeated", 2)]
    [InlineData("exit-repeated", 4)]
    [InlineData("kinds-repeated", 2)]
    [InlineData("sizes-repeated", 2)]
    [InlineData("sizes-repeated", 4)]
    [InlineData("barrier-repeated", 4)]
    public void Without_debug_checks_the_watchdog_ends_a_job_that_would_hang_and_no_rank_returns(string fault, int ranks)
    {
        // The ranks that behave repeat their previous call and skip the check; the others check. Neither side can
        // complete, so no data moves (no wrong sum), and the watchdog ends the job.
        var job = Run(NoDebug, fault, ranks);

        Assert.Contains("failed: CollectiveTimeoutException: ", job.Output, StringComparison.Ordinal);
        Assert.Matches(
            @"(AllReduce of 16 floats|the consistency check before (AllReduce of 8 floats|Broadcast of 16 floats)|Barrier|the end-of-run barrier) on world \(rank \d of \d\) has waited \d+\.\d s, past the collective timeout of 3 s \(TP_COLLECTIVE_TIMEOUT\)",
            job.Output);
        Assert.DoesNotContain("returned from the faulty collective", job.Output, StringComparison.Ordinal);
    }

    [MpiTheory]
    [InlineData("TP_COLLECTIVE_TIMEOUT", "ten", "TP_COLLECTIVE_TIMEOUT=ten is not a timeout: give a positive number of seconds")]
    [InlineData("TP_DISTRIBUTED_DEBUG", "maybe", "TP_DISTRIBUTED_DEBUG=maybe is not a setting: use 1 to turn the debug checks on")]
    [InlineData("TP_MPI_WAIT", "nap", "TP_MPI_WAIT=nap is not a wait mode: use yield (poll and yield the core, the default) or spin (MPI's blocking calls)")]
    public void A_bad_setting_stops_every_rank_at_start_with_what_to_write(string variable, string value, string message)
    {
        var environment = new Dictionary<string, string>(MpiJob.DefaultEnvironment) { [variable] = value };
        var job = MpiJob.RunIn(environment, 2, "checks", "--ranks", "2");

        Assert.False(job.TimedOut, job.ToString());
        Assert.True(job.ExitCode != 0, job.ToString());
        Assert.Contains($"failed: InvalidOperationException: {message}", job.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PASS ", job.Output, StringComparison.Ordinal);
    }

    private static MpiJob.Result Run(Dictionary<string, string> environment, string fault, int ranks)
    {
        var job = MpiJob.RunIn(environment, ranks, "fault", fault, "--ranks", ranks.ToString(CultureInfo.InvariantCulture));
        Assert.False(job.TimedOut, $"the job hung\n{job}");
        Assert.True(job.Elapsed < Bound, $"the job took {job.Elapsed}\n{job}");
        Assert.True(job.ExitCode != 0, $"the job must fail\n{job}");
        return job;
    }
}
