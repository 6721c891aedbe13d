using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TpCodegen.Bench;

/// <summary>
/// What the analyzers add to a real build: the 500 modules of <see cref="AnalyzerBenchmarks"/> written to disk and
/// compiled to a DLL by the SDK's own csc, a fresh process each time (no compiler server), without and with
/// <c>/analyzer:TpAnalyzers.dll</c>, and with two floors compiled on the spot (an analyzer that does nothing, the floor
/// under any analyzer; one that reads every body's operations, the floor under any IOperation rule), in alternation so
/// that all see the same machine load. The compiler runs the analyzers as a build does: concurrently with compiling and
/// emitting, on every core. Then one build with
/// <c>/reportanalyzer</c>, the compiler's own per-analyzer execution times.
/// With --server, every build goes to one compiler server, as `dotnet build` does by default: warm, the analyzers
/// loaded and their code compiled once, so the figure is their work rather than the JIT's.
/// Run: dotnet run -c Release --project bench/TpBench -- --analyzer-build [rounds] [--server] [--baseline path/to/TpAnalyzers.dll]
/// </summary>
internal static class AnalyzerBuild
{
    public static void Run(int rounds, bool server, string? baselinePath)
    {
        string csc = Compiler();
        string pipe = $"tpbench-{Environment.ProcessId}";
        string shared = server ? $"/shared:{pipe} " : "";
        string directory = Directory.CreateTempSubdirectory("tp-analyzer-build-").FullName;
        try
        {
            string responseFile = WriteProject(directory);
            string analyzers = typeof(TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer).Assembly.Location;
            Console.WriteLine($"compiler {csc}\n{AnalyzerBenchmarks.Modules} modules in {directory}");
            var sides = new List<(string Name, string Arguments)>
            {
                ("build", $"{shared}@{responseFile}"),
                ("build + TpCodegen analyzers", $"{shared}@{responseFile} /analyzer:{analyzers}"),
            };
            if (baselinePath is not null) sides.Add(("build + baseline analyzers", $"{shared}@{responseFile} /analyzer:{Path.GetFullPath(baselinePath)}"));
            foreach (var floor in FloorAnalyzers.All)
            {
                string path = Path.Combine(directory, floor.Name + ".dll");
                File.WriteAllBytes(path, floor.Image);
                sides.Add(("build + " + floor.Description, $"{shared}@{responseFile} /analyzer:{path}"));
            }
            // Warm-ups: the file cache and the compiler's first disk reads; with a server, enough builds for its tiered
            // JIT to settle (the times stop falling after about ten).
            for (int i = 0; i < (server ? 12 : 1); i++)
            {
                foreach (var side in sides) Compile(csc, side.Arguments);
            }
            // With a server the compiling is the server's: its CPU time is read from /proc before and after each build.
            int? serverProcess = server ? ServerProcess(pipe) : null;
            var wall = sides.Select(_ => new List<double>()).ToArray();
            var cpu = sides.Select(_ => new List<double>()).ToArray();
            for (int round = 0; round < rounds; round++)
            {
                for (int s = 0; s < sides.Count; s++)
                {
                    double serverBefore = ServerCpuMilliseconds(serverProcess);
                    var (w, c, _) = Compile(csc, sides[s].Arguments);
                    if (serverProcess is not null) c = ServerCpuMilliseconds(serverProcess) - serverBefore;
                    wall[s].Add(w);
                    cpu[s].Add(c);
                }
                Console.WriteLine($"round {round + 1}: " + string.Join(", ", sides.Select((side, s) => $"{side.Name} {wall[s][^1]:F0} ms ({cpu[s][^1]:F0} cpu)")));
            }
            // CPU time is the compiler's work (the server's with --server, else the csc child's): the machine's other load
            // stretches the wall time of a build, much less the CPU time it takes.
            Console.WriteLine($"median of {rounds} builds (wall / cpu ms, ratio to the build without analyzers):");
            for (int s = 0; s < sides.Count; s++)
            {
                double w = AnalyzerTimes.Median(wall[s]), c = AnalyzerTimes.Median(cpu[s]);
                Console.WriteLine($"  {sides[s].Name,-28} {w,7:F0} / {c,7:F0}   {w / AnalyzerTimes.Median(wall[0]):F2}x / {c / AnalyzerTimes.Median(cpu[0]):F2}x");
            }
            // The fastest build of each side: the one the machine's other load disturbed least, so the least noisy
            // estimate of the work itself when that load comes and goes.
            Console.WriteLine($"fastest of {rounds} builds (wall / cpu ms, ratio to the fastest build without analyzers):");
            for (int s = 0; s < sides.Count; s++)
            {
                double w = wall[s].Min(), c = cpu[s].Min();
                Console.WriteLine($"  {sides[s].Name,-28} {w,7:F0} / {c,7:F0}   {w / wall[0].Min():F2}x / {c / cpu[0].Min():F2}x");
            }
            // Each round's own ratio, both sides under the same load: steadier than the ratio of medians on a shared machine.
            for (int s = 1; s < sides.Count; s++)
            {
                var pairedWall = wall[s].Zip(wall[0], (with, without) => with / without).ToList();
                var pairedCpu = cpu[s].Zip(cpu[0], (with, without) => with / without).ToList();
                Console.WriteLine($"  {sides[s].Name,-28} median of the rounds' own ratios {AnalyzerTimes.Median(pairedWall):F3}x wall, {AnalyzerTimes.Median(pairedCpu):F3}x cpu");
            }
            var (_, _, report) = Compile(csc, $"{shared}@{responseFile} /analyzer:{analyzers} /reportanalyzer");
            Console.WriteLine("the compiler's report (/reportanalyzer) of one build:");
            foreach (var line in report.Split('\n').Where(l => !l.StartsWith(Path.Combine(directory, "src"), StringComparison.Ordinal) && !l.StartsWith("src", StringComparison.Ordinal)))
                Console.WriteLine("  " + line.TrimEnd());
        }
        finally
        {
            if (server) Shutdown(csc, pipe);
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Stops this benchmark's compiler server (and only it: the pipe is this process's).</summary>
    private static void Shutdown(string csc, string pipe)
    {
        string server = Path.Combine(Path.GetDirectoryName(csc)!, "VBCSCompiler.dll");
        using var process = Process.Start(new ProcessStartInfo(Dotnet(), $"\"{server}\" -shutdown -pipename:{pipe}") { RedirectStandardOutput = true })!;
        process.WaitForExit();
    }

    /// <summary>The modules as files and a response file that references what the in-memory benchmark references.</summary>
    private static string WriteProject(string directory)
    {
        Directory.CreateDirectory(Path.Combine(directory, "src"));
        for (int i = 0; i < AnalyzerBenchmarks.Modules; i++)
            File.WriteAllText(Path.Combine(directory, "src", $"Module{i}.cs"), AnalyzerBenchmarks.Module(i));
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(Linear).Assembly.Location)
            .Append(typeof(System.Numerics.Tensors.Tensor<float>).Assembly.Location)
            .Distinct();
        var lines = new List<string>
        {
            "/nologo", "/target:library", "/langversion:latest", "/optimize+", "/nostdlib+",
            $"/out:{Path.Combine(directory, "Synthetic.dll")}",
        };
        lines.AddRange(platform.Select(p => $"/reference:\"{p}\""));
        lines.Add($"\"{Path.Combine(directory, "src", "*.cs")}\"");
        // The seeded mistakes as warnings: a TP error would stop the build before emit, and the two sides must do the same work.
        string config = Path.Combine(directory, ".globalconfig");
        File.WriteAllLines(config, AnalyzerBenchmarks.AnalyzersIn(typeof(TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer).Assembly)
            .SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().Order()
            .Select(id => $"dotnet_diagnostic.{id}.severity = warning").Prepend("is_global = true"));
        lines.Add($"/analyzerconfig:\"{config}\"");
        string responseFile = Path.Combine(directory, "build.rsp");
        File.WriteAllLines(responseFile, lines);
        return responseFile;
    }

    /// <summary>One csc process: wall and CPU milliseconds, and what it printed.</summary>
    private static (double Wall, double Cpu, string Output) Compile(string csc, string arguments)
    {
        var start = new ProcessStartInfo(Dotnet(), $"\"{csc}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true };
        double childrenBefore = ChildrenCpuMilliseconds();
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        watch.Stop();
        double cpu = ChildrenCpuMilliseconds() - childrenBefore;
        string printed = output.Result + errors.Result;
        // The seeded mistakes are warnings; anything the compiler calls an error means the project did not build.
        if (process.ExitCode != 0) throw new InvalidOperationException($"csc failed ({process.ExitCode}):\n{printed[..Math.Min(printed.Length, 2000)]}");
        return (watch.Elapsed.TotalMilliseconds, cpu, printed);
    }

    /// <summary>The compiler server listening on <paramref name="pipe"/>, found by its command line; null off Linux.</summary>
    private static int? ServerProcess(string pipe)
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int id)) continue;
            string commandLine;
            try { commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (commandLine.Contains("VBCSCompiler", StringComparison.Ordinal) && commandLine.Contains(pipe, StringComparison.Ordinal)) return id;
        }
        throw new InvalidOperationException($"No compiler server with pipe {pipe} was found under /proc.");
    }

    /// <summary>
    /// User and system CPU the server has used, its threads that have ended included (utime and stime of /proc/PID/stat,
    /// in the kernel's clock ticks); NaN without a server.
    /// </summary>
    private static double ServerCpuMilliseconds(int? process)
    {
        if (process is null) return double.NaN;
        string stat = File.ReadAllText($"/proc/{process}/stat");
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double millisecondsPerTick = 1e3 / ClockTicksPerSecond(ClockTicksName);
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) * millisecondsPerTick;
    }

    // A process that has exited has no CPU time to ask for on Linux; the kernel's account of reaped children does.
    [StructLayout(LayoutKind.Sequential)]
    private struct Usage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 14)] public long[] Rest;
    }

    // sysconf(_SC_CLK_TCK): the unit of /proc's CPU times (100 on common kernels).
    private const int ClockTicksName = 2;

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long ClockTicksPerSecond(int name);

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetResourceUsage(int who, out Usage usage);

    /// <summary>User and system CPU of every child this process has waited for (getrusage(RUSAGE_CHILDREN)); NaN off Linux.</summary>
    private static double ChildrenCpuMilliseconds()
    {
        const int children = -1;
        if (!OperatingSystem.IsLinux() || GetResourceUsage(children, out var usage) != 0) return double.NaN;
        return (usage.UserSeconds + usage.SystemSeconds) * 1e3 + (usage.UserMicroseconds + usage.SystemMicroseconds) / 1e3;
    }

    private static string Dotnet() => Path.Combine(DotnetRoot(), OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");

    // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
    private static string DotnetRoot() => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));

    /// <summary>The newest SDK's csc.dll: the compiler a `dotnet build` on this machine runs.</summary>
    private static string Compiler()
    {
        var candidates = Directory.GetDirectories(Path.Combine(DotnetRoot(), "sdk"))
            .Select(sdk => (Version: Version.TryParse(Path.GetFileName(sdk).Split('-')[0], out var v) ? v : new Version(0, 0), Path: Path.Combine(sdk, "Roslyn", "bincore", "csc.dll")))
            .Where(c => File.Exists(c.Path))
            .OrderByDescending(c => c.Version)
            .ToList();
        return candidates.Count > 0 ? candidates[0].Path : throw new InvalidOperationException($"No SDK with Roslyn/bincore/csc.dll under {DotnetRoot()}.");
    }
}
