namespace TpCodegen.Collectives.Mpi;

/// <summary>
/// Completes a nonblocking collective the way <see cref="CollectiveOptions.YieldWhileWaiting"/> asks: MPI_Test in a loop,
/// a short spin first (the other ranks are usually about to arrive), then a yield between polls, which costs about a
/// microsecond when nothing else wants the core and hands it over when something does.
/// </summary>
internal static class MpiRequest
{
    // About 10-50 us of MPI_Test calls: a collective whose peers are already there completes without ever yielding.
    private const int SpinPolls = 256;

    /// <summary>Whether collectives wait by polling and yielding (true) or in MPI's blocking calls (false).</summary>
    public static bool Yielding => CollectiveOptions.YieldWhileWaiting;

    /// <summary>Completes a request MPI just started (<paramref name="started"/> is the starting call's return code).</summary>
    public static int Complete(int started, nint request)
    {
        if (started != MpiNative.Success) return started;
        for (int polls = 0; ; polls++)
        {
            int rc = MpiNative.Test(ref request, out bool done);
            if (rc != MpiNative.Success || done) return rc;
            if (polls >= SpinPolls) Thread.Yield();
        }
    }
}
