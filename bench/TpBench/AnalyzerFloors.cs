using System.Collections.Immutable;

namespace TpCodegen.Bench;

/// <summary>
/// The floors under any analyzer in the in-process harness (<see cref="FloorAnalyzers"/>, the same ones the real build
/// measures), in the same rounds as these analyzers: the compile alone; the analyzer that does nothing, once and as 22
/// copies (one per rule, as TpAnalyzers ships them); and the one that reads every member body's operations.
/// Run: dotnet run -c Release --project bench/TpBench -- --analyzer-floors [rounds]
/// </summary>
internal static class AnalyzerFloors
{
    public static void Run(int rounds)
    {
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        // Made before any round: only the analysis is timed.
        var empty = ImmutableArray.Create(FloorAnalyzers.All[0].Create());
        var empties = Enumerable.Range(0, 22).Select(_ => FloorAnalyzers.All[0].Create()).ToImmutableArray();
        var bodies = ImmutableArray.Create(FloorAnalyzers.All[1].Create());
        var sides = new List<(string Name, Func<int> Run)>
        {
            ("compile", bench.WithoutAnalyzers),
            ("+ one empty model action", () => bench.Analyze(empty)),
            ("+ 22 empty model actions", () => bench.Analyze(empties)),
            ("+ every body's operations", () => bench.Analyze(bodies)),
            ("+ TpCodegen analyzers", bench.WithAnalyzers),
        };
        for (int i = 0; i < 2; i++)
        {
            foreach (var side in sides) side.Run();
        }
        var wall = sides.Select(_ => new List<double>()).ToArray();
        var allocated = sides.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int s = 0; s < sides.Count; s++)
            {
                GC.Collect();
                long bytes = GC.GetTotalAllocatedBytes(precise: true);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                sides[s].Run();
                wall[s].Add(watch.Elapsed.TotalMilliseconds);
                allocated[s].Add((GC.GetTotalAllocatedBytes(precise: true) - bytes) / 1048576.0);
            }
        }
        Console.WriteLine($"median of {rounds} rounds (wall ms, ratio to the compile; MB allocated):");
        for (int s = 0; s < sides.Count; s++)
            Console.WriteLine($"  {sides[s].Name,-28} {AnalyzerTimes.Median(wall[s]),7:F1}   {AnalyzerTimes.Median(wall[s]) / AnalyzerTimes.Median(wall[0]):F2}x   {AnalyzerTimes.Median(allocated[s]),6:F1} MB");
    }
}
