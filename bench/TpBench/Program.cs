using BenchmarkDotNet.Running;

// Run one suite with: dotnet run -c Release --project bench/TpBench -- --filter '*Gemm*'
// The analyzer times without BenchmarkDotNet:
// dotnet run -c Release --project bench/TpBench -- --analyzer-times [rounds] [--baseline path/to/TpAnalyzers.dll]
if (args.Length > 0 && args[0] == "--analyzer-times")
{
    int baselineAt = Array.IndexOf(args, "--baseline");
    string? baseline = baselineAt > 0 && baselineAt + 1 < args.Length ? args[baselineAt + 1] : null;
    int rounds = args.Length > 1 && args[1] != "--baseline" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 9;
    TpCodegen.Bench.AnalyzerTimes.Run(rounds, baseline);
    return;
}

// A real build: the SDK's csc without and with the analyzers, and its /reportanalyzer.
if (args.Length > 0 && args[0] == "--analyzer-build")
{
    int baselineAt = Array.IndexOf(args, "--baseline");
    string? baseline = baselineAt > 0 && baselineAt + 1 < args.Length ? args[baselineAt + 1] : null;
    int rounds = args.Length > 1 && int.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out int given) ? given : 9;
    TpCodegen.Bench.AnalyzerBuild.Run(rounds, args.Contains("--server"), baseline);
    return;
}

// Only the analyzed compilation, N times: a steady workload to run under a profiler (dotnet-trace).
if (args.Length > 1 && args[0] == "--analyzer-profile")
{
    var bench = new TpCodegen.Bench.AnalyzerBenchmarks();
    bench.Setup();
    for (int i = 0; i < int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture); i++) bench.WithAnalyzers();
    return;
}

// The driver's floors under any analyzer, beside these analyzers.
if (args.Length > 0 && args[0] == "--analyzer-floors")
{
    TpCodegen.Bench.AnalyzerFloors.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 9);
    return;
}

// What each analyzer allocates when it runs alone (the flow walk is counted under every placement rule then).
if (args.Length > 0 && args[0] == "--analyzer-allocations")
{
    TpCodegen.Bench.AnalyzerTimes.Allocations();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
