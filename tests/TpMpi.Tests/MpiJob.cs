using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace TpCodegen.MpiTests;

/// <summary>Runs the driver under <c>mpiexec -n N</c> and collects what the job printed.</summary>
internal static class MpiJob
{
    /// <summary>A hung job is killed after this long; the test then fails with what the job had printed.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    internal const string RequireVariable = "TP_REQUIRE_MPI";

    /// <summary>
    /// What every job gets unless a test says otherwise: the debug checks on (every collective checked across ranks
    /// before it runs), and a watchdog well inside <see cref="Timeout"/>, so that a hang ends as the job's own error.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> DefaultEnvironment = new Dictionary<string, string>
    {
        ["TP_DISTRIBUTED_DEBUG"] = "1",
        ["TP_COLLECTIVE_TIMEOUT"] = "60",
    };

    internal sealed record Result(int ExitCode, bool TimedOut, string Output, string CommandLine, TimeSpan Elapsed)
    {
        public override string ToString() =>
            $"{CommandLine}\nexit code {ExitCode}{(TimedOut ? $" (killed after {Timeout.TotalSeconds:0} s)" : "")} after {Elapsed.TotalSeconds:0.0} s\n--- output ---\n{Output}";
    }

    /// <summary>mpiexec's full path, or null when it is not on PATH.</summary>
    internal static string? FindMpiexec() => FindOnPath(OperatingSystem.IsWindows() ? "mpiexec.exe" : "mpiexec");

    /// <summary>
    /// Open MPI's launcher under the name Debian gives it when MPICH owns <c>mpiexec</c>, or null. Its
    /// options: root needs an explicit opt-in, and a job may have more ranks than the machine has cores.
    /// </summary>
    internal static (string Path, string[] Options)? FindOpenMpiLauncher() =>
        FindOnPath("mpirun.openmpi") is { } path
            ? (path, Environment.UserName == "root" ? ["--oversubscribe", "--allow-run-as-root"] : ["--oversubscribe"])
            : null;

    private static string? FindOnPath(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>Why MPI tests cannot run here, or null when they must run.</summary>
    internal static string? SkipReason() =>
        FindMpiexec() is null && Environment.GetEnvironmentVariable(RequireVariable) != "1"
            ? $"mpiexec is not on PATH (install MPICH: apt-get install -y mpich). Set {RequireVariable}=1 to make this a failure instead of a skip."
            : null;

    /// <summary>Where TpMpi.Driver.dll was built, as recorded in this assembly by the project file.</summary>
    internal static string DriverPath()
    {
        string? path = typeof(MpiJob).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TpMpiDriverPath")?.Value;
        Assert.False(string.IsNullOrEmpty(path), "TpMpi.Tests was built without the TpMpiDriverPath metadata; rebuild tests/TpMpi.Tests.");
        Assert.True(File.Exists(path), $"The MPI test driver is not at {path}; build tests/TpMpi.Tests (which builds the driver) in the same configuration.");
        return path!;
    }

    /// <summary>Runs <c>mpiexec -n <paramref name="ranks"/> dotnet TpMpi.Driver.dll <paramref name="driverArguments"/></c> with <see cref="DefaultEnvironment"/>.</summary>
    internal static Result Run(int ranks, params string[] driverArguments) => RunIn(DefaultEnvironment, ranks, driverArguments);

    /// <summary>As <see cref="Run"/>, with <paramref name="environment"/> passed to every rank instead of <see cref="DefaultEnvironment"/>.</summary>
    internal static Result RunIn(IReadOnlyDictionary<string, string> environment, int ranks, params string[] driverArguments)
    {
        string mpiexec = FindMpiexec()
            ?? throw new InvalidOperationException($"mpiexec is not on PATH but {RequireVariable}=1 requires the MPI tests to run. Install MPICH: apt-get install -y mpich.");
        return RunWith(mpiexec, [], ranks, driverArguments, environment);
    }

    /// <summary>Runs the driver under <paramref name="launcher"/> (an mpiexec) with <paramref name="launcherOptions"/> before <c>-n</c>.</summary>
    internal static Result RunWith(string launcher, string[] launcherOptions, int ranks, params string[] driverArguments) =>
        RunWith(launcher, launcherOptions, ranks, driverArguments, DefaultEnvironment);

    private static Result RunWith(string launcher, string[] launcherOptions, int ranks, string[] driverArguments, IReadOnlyDictionary<string, string> environment)
    {
        // The dotnet CLI tells the processes it starts which host it is; fall back to the one on PATH.
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

        var start = new ProcessStartInfo(launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[.. launcherOptions, "-n", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), dotnet, DriverPath(), .. driverArguments])
            start.ArgumentList.Add(argument);
        // mpiexec passes its environment on to every rank: make the backend choice and the checks explicit, whatever
        // the caller's shell says.
        start.Environment["TP_BACKEND"] = "mpi";
        start.Environment.Remove("TP_DISTRIBUTED_DEBUG");
        start.Environment.Remove("TP_COLLECTIVE_TIMEOUT");
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        return Execute(start);
    }

    /// <summary>Runs <c>dotnet TpMpi.Driver.dll <paramref name="driverArguments"/></c> without a launcher, with <paramref name="environment"/> set.</summary>
    internal static Result RunDriverAlone(IReadOnlyDictionary<string, string> environment, params string[] driverArguments)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[DriverPath(), .. driverArguments])
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        return Execute(start);
    }

    private static Result Execute(ProcessStartInfo start)
    {
        string commandLine = string.Join(' ', start.ArgumentList.Prepend(start.FileName));

        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is null)
                return;
            lock (output)
                output.AppendLine(line);
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        bool timedOut = !process.WaitForExit(Timeout);
        if (timedOut)
        {
            // mpiexec's children (the proxy and the ranks) go too, so a hung job leaves nothing behind.
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit(); // drains the redirected streams
        lock (output)
            return new Result(process.ExitCode, timedOut, output.ToString(), commandLine, clock.Elapsed);
    }
}
