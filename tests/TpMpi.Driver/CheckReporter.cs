using TpCodegen.Collectives;

namespace TpCodegen.MpiDriver;

/// <summary>
/// Agrees over the world whether a check passed on every rank: rank 0 prints <c>PASS name</c> or
/// <c>FAIL name (ranks ...)</c>, and a failing rank prints its reason to stderr.
/// </summary>
internal sealed class CheckReporter(ProcessGroup world)
{
    /// <summary>Checks that failed on some rank.</summary>
    public int Failed { get; private set; }

    /// <summary>Checks run.</summary>
    public int Count { get; private set; }

    /// <summary>Collective over the world: every rank reports the same check, with null when it passed here.</summary>
    public void Report(string check, string? failure)
    {
        Count++;
        if (failure is not null)
            Console.Error.WriteLine($"rank {world.Rank}: {check}: {failure}");
        var flags = new float[world.Size];
        world.AllGather([failure is null ? 0f : 1f], flags);
        var failedRanks = Enumerable.Range(0, world.Size).Where(r => flags[r] != 0).ToArray();
        if (failedRanks.Length > 0)
            Failed++;
        if (world.Rank == 0)
            Console.WriteLine(failedRanks.Length == 0 ? $"PASS {check}" : $"FAIL {check} (ranks {string.Join(", ", failedRanks)})");
    }

    /// <summary>Rank 0 prints the closing line.</summary>
    public void Summarize()
    {
        if (world.Rank == 0)
            Console.WriteLine($"SUMMARY {Count - Failed} passed, {Failed} failed on {world.Name} of {world.Size} ranks ({Launcher.BackendName})");
    }
}
