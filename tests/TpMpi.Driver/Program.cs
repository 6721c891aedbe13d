using TpCodegen.Collectives;
using TpCodegen.MpiDriver;

// Usage: TpMpi.Driver (checks|abort) --ranks N
// Launched as `mpiexec -n N dotnet TpMpi.Driver.dll checks --ranks N`; rank 0 prints one line per check:
// every collective, then the generated sharded layers over the whole world.
if (args.Length != 3 || args[1] != "--ranks" || !int.TryParse(args[2], out int ranks) || ranks < 1)
{
    Console.Error.WriteLine("usage: TpMpi.Driver (checks|abort) --ranks N");
    return 2;
}

int failed = 0;
switch (args[0])
{
    case "checks":
        Launcher.Run(ranks, world =>
        {
            var reporter = new CheckReporter(world);
            new CollectiveChecks(world, reporter).RunAll();
            new LayerChecks(world, reporter).RunAll();
            new ModelChecks(world, reporter).RunAll();
            reporter.Summarize();
            if (reporter.Failed > 0)
                Interlocked.Exchange(ref failed, 1);
        });
        break;
    case "abort":
        Launcher.Run(ranks, AbortMode.Run);
        break;
    default:
        Console.Error.WriteLine($"unknown mode '{args[0]}'; expected checks or abort");
        return 2;
}
return failed;
