using TpCodegen.Collectives;
using TpCodegen.MpiDriver;

// Usage: TpMpi.Driver (checks|abort) --ranks N
//        TpMpi.Driver fault (early-return|exit|kinds|sizes|barrier)[-repeated] --ranks N
// Launched as `mpiexec -n N dotnet TpMpi.Driver.dll checks --ranks N`; rank 0 prints one line per check:
// every collective, then the generated sharded layers over the whole world.
string? fault = args.Length == 4 && args[0] == "fault" ? args[1] : null;
string[] rest = fault is null ? args : [args[0], .. args[2..]];
if (rest.Length != 3 || rest[1] != "--ranks" || !int.TryParse(rest[2], out int ranks) || ranks < 1)
{
    Console.Error.WriteLine("usage: TpMpi.Driver (checks|abort) --ranks N | TpMpi.Driver fault (early-return|exit|kinds|sizes|barrier)[-repeated] --ranks N");
    return 2;
}

int failed = 0;
switch (rest[0])
{
    case "checks":
        Launcher.Run(ranks, world =>
        {
            var reporter = new CheckReporter(world);
            new CollectiveChecks(world, reporter).RunAll();
            new LayerChecks(world, reporter).RunAll();
            new ModelChecks(world, reporter).RunAll();
            new TrainingChecks(world, reporter).RunAll();
            reporter.Summarize();
            if (reporter.Failed > 0)
                Interlocked.Exchange(ref failed, 1);
        });
        break;
    case "abort":
        Launcher.Run(ranks, AbortMode.Run);
        break;
    case "fault":
        Launcher.Run(ranks, world => FaultMode.Run(world, fault!));
        break;
    default:
        Console.Error.WriteLine($"unknown mode '{rest[0]}'; expected checks, abort or fault");
        return 2;
}
return failed;
