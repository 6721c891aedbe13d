using TpCodegen.Collectives;

namespace TpCodegen.MpiDriver;

/// <summary>
/// Rank 1 throws while every other rank is already blocked in an all-reduce that rank 1 will never join.
/// The job must end with rank 1's message and a non-zero exit code instead of hanging.
/// </summary>
internal static class AbortMode
{
    internal const string Message = "rank 1 fails on purpose in abort mode";

    internal static void Run(ProcessGroup world)
    {
        if (world.Size < 2)
            throw new InvalidOperationException($"abort mode needs at least 2 ranks, got {world.Size}.");
        world.Barrier();
        if (world.Rank == 1)
            throw new InvalidOperationException(Message);
        Console.WriteLine($"rank {world.Rank}: waiting in an AllReduce that rank 1 never joins");
        Console.Out.Flush();
        world.AllReduce(new float[16]);
        Console.WriteLine($"rank {world.Rank}: the AllReduce returned, which it must not");
    }
}
