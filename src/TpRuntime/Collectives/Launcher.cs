using TpCodegen.Collectives.InProcess;
using TpCodegen.Collectives.Mpi;

namespace TpCodegen.Collectives;

/// <summary>
/// Runs a program's per-rank body on the backend that fits how the program was started: under
/// <c>mpiexec</c> this process is one rank of the MPI world; otherwise all ranks are threads of this process.
/// The same program therefore runs unchanged with <c>dotnet run</c> and with <c>mpiexec -n 4 dotnet app.dll</c>.
/// </summary>
public static class Launcher
{
    /// <summary>Environment variable that forces a backend: <c>mpi</c> or <c>inprocess</c>.</summary>
    public const string BackendVariable = "TP_BACKEND";

    /// <summary>
    /// Runs <paramref name="body"/> once per rank of a world of <paramref name="ranks"/> ranks and returns
    /// when this process's ranks have finished.
    /// </summary>
    /// <remarks>
    /// Under MPI the body runs once, in this process, with the MPI world group; <paramref name="ranks"/> must
    /// equal the <c>-n</c> given to mpiexec. If the body throws, the rank prints <c>rank R failed: ...</c>
    /// and aborts the whole MPI job, so that no other rank waits forever. When the body returns, the rank waits at an
    /// end-of-run barrier for the others (as it does if it calls <see cref="Environment.Exit"/>): a rank that leaves
    /// while others still wait in collectives ends the job with an error, at once with
    /// <see cref="CollectiveOptions.DebugChecks"/>, else after <see cref="CollectiveOptions.Timeout"/>.
    /// </remarks>
    public static void Run(int ranks, Action<ProcessGroup> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        ArgumentNullException.ThrowIfNull(body);

        if (SelectBackend() == Backend.InProcess)
        {
            InProcessWorld.Run(ranks, body);
            return;
        }

        try
        {
            var world = MpiWorld.Group;
            if (world.Size != ranks)
                throw new InvalidOperationException(
                    $"The program asks for {ranks} ranks but the MPI world has {world.Size}: launch it with `mpiexec -n {ranks} ...`." +
                    (world.Size == 1 ? $" A world of 1 can also mean that the loaded MPI library ({MpiLibrary.LoadedPath}) does not match the mpiexec that started the job." : ""));
            // Read the options now, so that a bad TP_COLLECTIVE_TIMEOUT, TP_DISTRIBUTED_DEBUG or TP_MPI_WAIT stops every rank at once.
            _ = CollectiveOptions.Timeout;
            _ = CollectiveOptions.DebugChecks;
            _ = CollectiveOptions.YieldWhileWaiting;
            body(world);
            MpiWorld.EndRun();
        }
        catch (Exception failure)
        {
            MpiWorld.Abort(failure);
        }
    }

    /// <summary>The backend <see cref="Run"/> would use in this process, for messages and reports.</summary>
    public static string BackendName => SelectBackend() == Backend.Mpi ? "mpi" : "inprocess";

    private enum Backend { InProcess, Mpi }

    private static Backend SelectBackend()
    {
        string? forced = Environment.GetEnvironmentVariable(BackendVariable);
        if (!string.IsNullOrEmpty(forced))
        {
            return forced.Trim().ToLowerInvariant() switch
            {
                "mpi" => Backend.Mpi,
                "inprocess" or "in-process" => Backend.InProcess,
                _ => throw new InvalidOperationException($"{BackendVariable}={forced} is not a backend; use 'mpi' or 'inprocess', or leave it unset to detect mpiexec."),
            };
        }
        // MPICH's Hydra sets PMI_RANK/PMI_SIZE for every process it starts, Open MPI's mpirun OMPI_COMM_WORLD_SIZE,
        // a PMIx launcher (srun --mpi=pmix, prterun) PMIX_RANK, MVAPICH's mpirun_rsh MV2_COMM_WORLD_SIZE.
        // Any other launcher: set TP_BACKEND=mpi.
        bool hydra = Environment.GetEnvironmentVariable("PMI_RANK") is not null && Environment.GetEnvironmentVariable("PMI_SIZE") is not null;
        bool launched = hydra || new[] { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE" }
            .Any(name => Environment.GetEnvironmentVariable(name) is not null);
        return launched ? Backend.Mpi : Backend.InProcess;
    }
}
