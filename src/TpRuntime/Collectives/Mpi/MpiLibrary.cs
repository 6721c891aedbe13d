using System.Runtime.InteropServices;

namespace TpCodegen.Collectives.Mpi;

/// <summary>
/// Finds and loads the system's libmpi and tells which ABI it follows. Nothing is bundled: the MPI library
/// must be the one that matches the <c>mpiexec</c> that launched us, so it can only come from the system.
/// </summary>
internal static class MpiLibrary
{
    /// <summary>Environment variable that names the library to load (a file name or a full path).</summary>
    internal const string PathVariable = "TP_MPI_LIBRARY";

    // MPICH's own soname first, then the generic MPICH-ABI name (Intel MPI, MVAPICH; also Open MPI 1.10,
    // which the ABI probe below recognises), then Open MPI 3.x-5.x.
    private static readonly string[] MpichFirst = ["libmpich.so.12", "libmpi.so.12", "libmpi.so.40"];

    // Under Open MPI's launcher an MPICH library would come up as a world of one, so try Open MPI first.
    private static readonly string[] OpenMpiFirst = ["libmpi.so.40", "libmpi.so.12", "libmpich.so.12"];

    /// <summary>The name or path that loaded, for messages; null before <see cref="Load"/>.</summary>
    internal static string? LoadedPath { get; private set; }

    /// <summary>Loads the library and returns its handle and ABI, or throws with what to install.</summary>
    internal static (nint Handle, MpiAbi Abi) Load()
    {
        string? requested = Environment.GetEnvironmentVariable(PathVariable);
        string[] candidates = !string.IsNullOrEmpty(requested)
            ? [requested]
            : Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null ? OpenMpiFirst : MpichFirst;

        foreach (string candidate in candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out nint handle))
                continue;
            LoadedPath = candidate;
            // The ABI is a property of the library, not of its file name (libmpi.so.12 was Open MPI 1.10 too):
            // only Open MPI exports its predefined objects.
            var abi = NativeLibrary.TryGetExport(handle, MpiNative.OpenMpi.CommWorld, out _) ? MpiAbi.OpenMpi : MpiAbi.Mpich;
            return (handle, abi);
        }

        throw new MpiException(
            $"No MPI library could be loaded (tried {string.Join(", ", candidates)}). " +
            "Install MPICH (Debian/Ubuntu: `apt-get install -y mpich`; Fedora: `dnf install mpich`) or Open MPI, " +
            $"or set {PathVariable} to the full path of libmpi. " +
            $"To run without MPI, start the program without mpiexec and without {Launcher.BackendVariable}=mpi: it then uses the in-process backend.");
    }
}
