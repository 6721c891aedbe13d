[assembly: CollectionBehavior(DisableTestParallelization = true)] // ranks busy-wait: two jobs at once oversubscribe the cores.

namespace TpCodegen.MpiTests;

/// <summary>The MPI backend under a real <c>mpiexec</c>: every collective against a reference, and failure handling.</summary>
public sealed class MpiBackendTests
{
    [MpiTheory]
    [InlineData(2, true)]
    [InlineData(4, true)]
    [InlineData(2, false)]
    [InlineData(2, false, "spin")]
    public void Every_collective_and_generated_layer_matches_the_sequential_reference(int ranks, bool debugChecks, string wait = "yield")
    {
        // With the debug checks (as every MPI test runs) and once without, as production jobs run; waiting by polling and
        // yielding (the default) and once in MPI's blocking calls.
        var environment = new Dictionary<string, string>(MpiJob.DefaultEnvironment)
        {
            ["TP_DISTRIBUTED_DEBUG"] = debugChecks ? "1" : "0",
            ["TP_MPI_WAIT"] = wait,
        };
        var job = MpiJob.RunIn(environment, ranks, "checks", "--ranks", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.False(job.TimedOut, job.ToString());
        Assert.True(job.ExitCode == 0, job.ToString());
        Assert.DoesNotContain("FAIL ", job.Output, StringComparison.Ordinal);
        foreach (string line in ExpectedPassLines(ranks))
            Assert.True(job.Output.Contains(line + Environment.NewLine, StringComparison.Ordinal), $"missing '{line}'\n{job}");
        Assert.Contains($"0 failed on world of {ranks} ranks (mpi)", job.Output, StringComparison.Ordinal);
    }

    [MpiTheory]
    [InlineData(2)]
    [InlineData(4)]
    public void A_rank_that_throws_ends_the_job_with_its_message(int ranks)
    {
        var job = MpiJob.Run(ranks, "abort", "--ranks", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The other ranks are blocked in an all-reduce rank 1 never joins: only the abort can end the job.
        Assert.False(job.TimedOut, $"the job hung instead of aborting\n{job}");
        Assert.True(job.ExitCode != 0, $"the job must fail\n{job}");
        Assert.Contains("rank 1 failed: InvalidOperationException: rank 1 fails on purpose in abort mode", job.Output, StringComparison.Ordinal);
    }

    [MpiFact]
    public void A_world_size_other_than_the_requested_ranks_is_reported()
    {
        var job = MpiJob.Run(2, "checks", "--ranks", "3");

        Assert.False(job.TimedOut, job.ToString());
        Assert.True(job.ExitCode != 0, job.ToString());
        Assert.Contains("The program asks for 3 ranks but the MPI world has 2", job.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_MPI_library_says_what_to_install()
    {
        // No mpiexec needed: forcing the MPI backend with a library that does not exist must fail at once, clearly.
        var job = MpiJob.RunDriverAlone(
            new Dictionary<string, string> { ["TP_BACKEND"] = "mpi", ["TP_MPI_LIBRARY"] = "/nonexistent/libmpi.so.12" },
            "checks", "--ranks", "1");

        Assert.False(job.TimedOut, job.ToString());
        Assert.True(job.ExitCode != 0, job.ToString());
        Assert.Contains("(before MPI started) failed: MpiException: No MPI library could be loaded (tried /nonexistent/libmpi.so.12)", job.Output, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y mpich", job.Output, StringComparison.Ordinal);
    }

    private static IEnumerable<string> ExpectedPassLines(int ranks)
    {
        string[] ops = ["sum", "average", "max", "min"];
        foreach (int length in (int[])[1, 7, 1000, 4097])
        {
            foreach (string op in ops)
                yield return $"PASS allreduce {op} len={length}";
            yield return $"PASS allgather len={length}";
            yield return $"PASS reducescatter sum len={length}";
        }
        foreach (string op in ops)
            yield return $"PASS reducescatter {op} len=7";
        for (int root = 0; root < ranks; root++)
            yield return $"PASS broadcast root={root} len=4097";
        yield return "PASS barrier x10";
        yield return "PASS collectives allocate nothing";
        for (int tp = 2; tp <= ranks; tp++)
            if (ranks % tp == 0)
            {
                yield return $"PASS training mesh {ranks / tp}x{tp} matches one rank";
                yield return $"PASS training mesh {ranks / tp}x{tp} sequence-parallel matches one rank";
            }
        for (int tp = 1; tp <= ranks; tp++)
        {
            if (ranks % tp != 0)
                continue;
            string mesh = $"mesh {ranks / tp}x{tp}";
            yield return $"PASS {mesh} split ranks";
            yield return $"PASS {mesh} hosts";
            yield return $"PASS {mesh} tp allreduce sum len=1000";
            yield return $"PASS {mesh} dp allreduce average len=1000";
            yield return $"PASS {mesh} tp allgather len=7";
        }
        foreach (string shape in (string[])["5x12x36", "33x96x48", "1x12x36"])
        {
            yield return $"PASS column {shape}";
            yield return $"PASS column gather {shape}";
            yield return $"PASS row {shape}";
            yield return $"PASS column backward {shape}";
            yield return $"PASS row backward {shape}";
            yield return $"PASS llama mlp {shape} one allreduce";
        }
        foreach (string name in (string[])["llama-tiny/f32", "llama-tiny/bf16", "gpt2-tiny/f32"])
        {
            yield return $"PASS model {name} logits match pytorch";
            yield return $"PASS model {name} greedy decode matches pytorch";
        }
    }
}
