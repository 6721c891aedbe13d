namespace TpCodegen.Collectives.Mpi;

/// <summary>
/// The MPI state of this process: initialised once on first use, finalised when the process exits, and
/// the world group. A failure on any rank aborts the whole job, because the other ranks would otherwise
/// wait forever in their next collective.
/// </summary>
internal static unsafe class MpiWorld
{
    private static readonly Lock Gate = new();
    private static MpiProcessGroup? s_world;
    private static int s_aborting;
    private static int s_endedRun;

    /// <summary>The world group; initialises MPI on first use.</summary>
    internal static MpiProcessGroup Group
    {
        get
        {
            lock (Gate)
                return s_world ??= Initialize();
        }
    }

    /// <summary>The loaded library's version string (MPI_Get_library_version), for reports.</summary>
    internal static string LibraryVersion
    {
        get
        {
            _ = Group;
            byte* text = stackalloc byte[MpiNative.LibraryVersionCapacity];
            int length = 0;
            Check(MpiNative.LibraryVersion(text, &length), "MPI_Get_library_version");
            return System.Text.Encoding.UTF8.GetString(text, Math.Min(length, MpiNative.LibraryVersionCapacity)).Trim('\0', ' ', '\n');
        }
    }

    /// <summary>True once MPI_Finalize has run (or MPI was finalised by someone else): no MPI call is legal any more.</summary>
    internal static bool IsFinalized
    {
        get
        {
            if (s_world is null)
                return false;
            int flag = 0;
            return MpiNative.Finalized(&flag) == MpiNative.Success && flag != 0;
        }
    }

    private static MpiProcessGroup Initialize()
    {
        var (library, abi) = MpiLibrary.Load();
        MpiNative.Bind(library, abi);

        int initialized = 0;
        Check(MpiNative.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0)
        {
            // SERIALIZED, not FUNNELED: a rank runs its collectives in order, but not always on the thread
            // that initialised MPI (MPI_Finalize runs from the process-exit handler).
            int provided = 0;
            Check(MpiNative.InitThread(MpiNative.ThreadSerialized, &provided), "MPI_Init_thread");
            // Thread levels are ordered (SINGLE < FUNNELED < SERIALIZED < MULTIPLE) in every MPI ABI.
            if (provided < MpiNative.ThreadSerialized)
                Console.Error.WriteLine(
                    $"warning: this MPI library provides thread level {provided}, below MPI_THREAD_SERIALIZED; " +
                    "calls from threads other than the one that started MPI (the exit-time MPI_Finalize among them) are erroneous with it.");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => FinalizeIfNeeded();
        }

        // Without this a failing call kills the job inside MPI; with it the error code comes back to us and
        // becomes an MpiException that names the collective and the group.
        Check(MpiNative.CommSetErrhandler(MpiNative.CommWorld, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");

        var world = new MpiProcessGroup(MpiNative.CommWorld, "world", ownsCommunicator: false);
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            Abort(e.ExceptionObject as Exception ?? new InvalidOperationException(e.ExceptionObject?.ToString()));
        MpiWatchdog.Start();
        return world;
    }

    /// <summary>
    /// Collective over the world: the barrier every rank passes once its work is done, under the watchdog, and
    /// checked like every barrier. A rank whose body returned (or that exits) while others still wait in collectives
    /// therefore meets them here: with the debug checks at once, as a mismatch against their call; without, when the
    /// watchdog's timeout runs out. Either way the job aborts with a message instead of hanging. Runs once.
    /// </summary>
    internal static void EndRun()
    {
        if (s_world is null || Interlocked.Exchange(ref s_endedRun, 1) != 0 || IsFinalized)
            return;
        s_world.EndOfRun();
    }

    private static void FinalizeIfNeeded()
    {
        // An aborting process must not finalise: MPI_Finalize is collective and the others are gone.
        if (Volatile.Read(ref s_aborting) != 0 || IsFinalized)
            return;
        int initialized = 0;
        if (MpiNative.Initialized(&initialized) != MpiNative.Success || initialized == 0)
            return;
        // A process that exits without returning from Launcher.Run (Environment.Exit inside the body) meets the others
        // at the end-of-run barrier too, rather than blocking in MPI_Finalize while they wait in a collective forever.
        try
        {
            EndRun();
        }
        catch (Exception failure)
        {
            Abort(failure);
        }
        MpiNative.Finalize();
    }

    /// <summary>
    /// Reports that this rank failed and ends the whole job with MPI_Abort, so that no other rank hangs in a
    /// collective this rank will never reach. Does not return.
    /// </summary>
    internal static void Abort(Exception failure)
    {
        // Two threads failing at once must print once and abort once.
        if (Interlocked.Exchange(ref s_aborting, 1) != 0)
            Thread.Sleep(Timeout.Infinite);

        // Before MPI started (no library, a failed MPI_Init) this process has no rank to name.
        string who = s_world is { } world ? $"rank {world.Rank}" : $"process {Environment.ProcessId} (before MPI started)";
        Console.Out.Flush();
        Console.Error.WriteLine($"{who} failed: {failure.GetType().Name}: {failure.Message}");
        Console.Error.WriteLine(failure.ToString());
        Console.Error.Flush();
        if (s_world is not null && !IsFinalized)
            MpiNative.Abort(MpiNative.CommWorld, 1);
        // MPI_Abort does not return; if MPI is unusable, still leave with a failure code.
        Environment.Exit(1);
    }

    private static void Check(int rc, string function)
    {
        if (rc != MpiNative.Success)
            throw MpiException.FromCode(rc, function, "MPI start-up");
    }
}
