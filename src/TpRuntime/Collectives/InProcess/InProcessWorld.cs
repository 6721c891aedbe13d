namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// Runs N ranks as threads of this process that share memory: the embedded backend, with nothing to install.
/// If a rank throws, every rank waiting in a collective is released with a <see cref="RankFailedException"/>
/// naming it, and <see cref="Run(int, Action{ProcessGroup})"/> rethrows the first failure. A mismatch, a rank that
/// finishes without entering, and a deadlock across groups release the waiting ranks too (see <see cref="Rendezvous"/>).
/// </summary>
public static class InProcessWorld
{
    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> ranks and waits for all of them.</summary>
    /// <exception cref="RankFailedException">A rank threw; the exception names it and carries its error.</exception>
    public static void Run(int size, Action<ProcessGroup> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run<object?>(size, group => { body(group); return null; });
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> ranks and returns each rank's result, by rank.</summary>
    /// <exception cref="RankFailedException">A rank threw; the exception names it and carries its error.</exception>
    public static T[] Run<T>(int size, Func<ProcessGroup, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (size < 1)
            throw new ArgumentOutOfRangeException(nameof(size), size, "An in-process world needs at least one rank.");

        var run = new InProcessRun(size);
        var world = new InProcessCommunicator(run, Enumerable.Range(0, size).ToArray(), "world");
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = new Thread[size];
        for (int rank = 0; rank < size; rank++)
        {
            int r = rank;
            threads[r] = new Thread(() =>
            {
                try
                {
                    using var group = new InProcessGroup(world, r);
                    results[r] = body(group);
                }
                catch (Exception error)
                {
                    errors[r] = error;
                    run.Fail(r, error);
                }
                finally
                {
                    run.Finish(r);
                }
            })
            {
                Name = $"tp-rank-{r}",
                IsBackground = true,
            };
        }
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();

        ThrowFirstFailure(errors);
        return results;
    }

    /// <summary>
    /// Creates the groups of an in-process world whose ranks the caller drives on threads of its own (a benchmark
    /// that keeps its ranks alive between measurements, a host with its own thread pool). Rank r must only be used
    /// by one thread at a time. Prefer <see cref="Run(int, Action{ProcessGroup})"/>: here a rank that stops calling
    /// collectives must report it through <see cref="ReportFailure"/>, or the others wait for it.
    /// </summary>
    public static ProcessGroup[] CreateGroups(int size)
    {
        if (size < 1)
            throw new ArgumentOutOfRangeException(nameof(size), size, "An in-process world needs at least one rank.");
        var world = new InProcessCommunicator(new InProcessRun(size), Enumerable.Range(0, size).ToArray(), "world");
        return Enumerable.Range(0, size).Select(rank => (ProcessGroup)new InProcessGroup(world, rank)).ToArray();
    }

    /// <summary>Releases every rank of <paramref name="group"/>'s world that waits in a collective, naming this rank's error.</summary>
    public static void ReportFailure(ProcessGroup group, Exception error)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(error);
        if (group is not InProcessGroup inProcess)
            throw new ArgumentException($"{group} is not an in-process group.", nameof(group));
        inProcess.ReportFailure(error);
    }

    /// <summary>
    /// The root cause is the failure that is not itself a release caused by another rank's failure;
    /// if every rank was released (a mismatch, a deadlock), the lowest rank's error stands for all. A rank released
    /// because another finished without entering its collective is not the culprit: the absent rank is.
    /// </summary>
    private static void ThrowFirstFailure(Exception?[] errors)
    {
        int culprit = Array.FindIndex(errors, e => e is not null and not RankFailedException);
        if (culprit < 0) culprit = Array.FindIndex(errors, e => e is not null);
        if (culprit < 0) return;
        var error = errors[culprit]!;
        if (error is CollectiveAbandonedException abandoned)
            throw new RankFailedException(
                abandoned.AbsentRank,
                $"Rank {abandoned.AbsentRank} of {errors.Length} finished its work without entering a collective that rank {culprit} waited in: {error.Message}",
                error);
        throw new RankFailedException(culprit, $"Rank {culprit} of {errors.Length} failed: {error.GetType().Name}: {error.Message}", error);
    }
}
