using BenchmarkDotNet.Running;

// Run one suite with: dotnet run -c Release --project bench/TpBench -- --filter '*Gemm*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
