using BenchmarkDotNet.Running;

// Run one suite with: dotnet run -c Release --project bench/TpBench -- --filter '*Gemm*'
// The analyzer times without BenchmarkDotNet: dotnet run -c Release --project bench/TpBench -- --analyzer-times [rounds]
if (args.Length > 0 && args[0] == "--analyzer-times")
{
    TpCodegen.Bench.AnalyzerTimes.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 9);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
