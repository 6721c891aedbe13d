using TpCodegen.Collectives;

namespace TpCodegen.MpiDriver;

/// <summary>
/// Jobs that go wrong on purpose, one way each: a rank returns early or exits, or the ranks disagree on a collective.
/// Each must end with an error on every rank, never hang and never let a rank carry on with a wrong result. A rank
/// that gets past the faulty collective prints <see cref="Returned"/>, which the tests forbid.
/// </summary>
/// <remarks>
/// A case named <c>...-repeated</c> first makes every rank call the all-reduce that the faulty step repeats on the
/// ranks that behave. Those ranks then skip the check (their call equals the group's previous one), while the others
/// check: without the debug checks, only the watchdog can end such a job.
/// </remarks>
internal static class FaultMode
{
    internal const string Returned = "returned from the faulty collective";
    internal const string Completed = "completed the job";

    internal static readonly string[] Cases = ["early-return", "exit", "kinds", "sizes", "barrier"];

    internal static void Run(ProcessGroup world, string fault)
    {
        if (world.Size < 2)
            throw new InvalidOperationException($"fault mode needs at least 2 ranks, got {world.Size}.");
        world.Barrier();
        const string repeatedSuffix = "-repeated";
        if (fault.EndsWith(repeatedSuffix, StringComparison.Ordinal))
        {
            fault = fault[..^repeatedSuffix.Length];
            world.AllReduce(new float[16]);
        }
        switch (fault)
        {
            case "early-return":
                // Rank 1 is done; the others wait for it in an all-reduce.
                if (world.Rank == 1) return;
                world.AllReduce(new float[16]);
                break;
            case "exit":
                if (world.Rank == 1) Environment.Exit(0);
                world.AllReduce(new float[16]);
                break;
            case "kinds":
                if (world.Rank == 0) world.AllReduce(new float[16]);
                else world.Broadcast(new float[16], root: 0);
                break;
            case "sizes":
            {
                var buffer = new float[world.Rank == 0 ? 16 : 8];
                Array.Fill(buffer, 1f);
                world.AllReduce(buffer);
                Console.WriteLine($"rank {world.Rank}: {Returned}, sum[0] = {buffer[0]}");
                Console.Out.Flush();
                // A rank that got a wrong sum must not get past the next check.
                world.Barrier();
                break;
            }
            case "barrier":
                if (world.Rank == 0) world.Barrier();
                else world.AllReduce(new float[16]);
                break;
            default:
                throw new ArgumentException($"unknown fault '{fault}'; expected one of {string.Join(", ", Cases)}, each optionally followed by {repeatedSuffix}.", nameof(fault));
        }
        if (fault != "sizes")
        {
            Console.WriteLine($"rank {world.Rank}: {Returned}");
            Console.Out.Flush();
        }
        world.Barrier();
        Console.WriteLine($"rank {world.Rank}: {Completed}");
    }
}
