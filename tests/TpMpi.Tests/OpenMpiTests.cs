namespace TpCodegen.MpiTests;

/// <summary>
/// The same driver under Open MPI, whose ABI differs from MPICH's (handles are pointers to exported objects).
/// Optional: runs where Debian's <c>mpirun.openmpi</c> is installed (apt-get install openmpi-bin), skipped elsewhere.
/// </summary>
public sealed class OpenMpiTests
{
    [OpenMpiFact]
    public void Every_collective_matches_the_sequential_reference_under_Open_MPI()
    {
        var (launcher, options) = MpiJob.FindOpenMpiLauncher()!.Value;
        var job = MpiJob.RunWith(launcher, options, 2, "checks", "--ranks", "2");

        Assert.False(job.TimedOut, job.ToString());
        Assert.True(job.ExitCode == 0, job.ToString());
        Assert.DoesNotContain("FAIL ", job.Output, StringComparison.Ordinal);
        Assert.Contains("PASS allreduce average len=4097", job.Output, StringComparison.Ordinal);
        Assert.Contains("0 failed on world of 2 ranks (mpi)", job.Output, StringComparison.Ordinal);
    }

    [OpenMpiFact]
    public void A_rank_that_throws_ends_the_job_under_Open_MPI()
    {
        var (launcher, options) = MpiJob.FindOpenMpiLauncher()!.Value;
        var job = MpiJob.RunWith(launcher, options, 2, "abort", "--ranks", "2");

        Assert.False(job.TimedOut, $"the job hung instead of aborting\n{job}");
        Assert.True(job.ExitCode != 0, $"the job must fail\n{job}");
        Assert.Contains("rank 1 failed: InvalidOperationException: rank 1 fails on purpose in abort mode", job.Output, StringComparison.Ordinal);
    }
}

/// <summary>A fact that runs only where Open MPI's launcher is installed as <c>mpirun.openmpi</c>.</summary>
public sealed class OpenMpiFactAttribute : FactAttribute
{
    public OpenMpiFactAttribute()
    {
        if (MpiJob.FindOpenMpiLauncher() is null)
            Skip = "Open MPI is not installed (mpirun.openmpi not on PATH; apt-get install openmpi-bin). The MPICH tests still run.";
    }
}
