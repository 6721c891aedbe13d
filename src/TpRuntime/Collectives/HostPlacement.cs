using System.Text;

namespace TpCodegen.Collectives;

/// <summary>
/// Where a mesh's tensor-parallel groups sit on machines. A TP group runs two all-reduces per decoder layer per token
/// (and their conjugates in training), so it belongs on the fastest links, inside one machine (NVLink, shared memory),
/// and data parallelism, which reduces once per step, across machines: the layout Megatron-LM and torchtitan use.
/// A mesh whose TP group spans machines works, just slowly; this says so, and how to launch it so that it would not.
/// </summary>
public static class HostPlacement
{
    /// <summary>Longest host name exchanged, in UTF-8 bytes; longer names are cut (they still tell hosts apart in practice).</summary>
    internal const int NameBytes = 128;

    /// <summary>
    /// A warning naming each tensor-parallel group that spans hosts, or null when every group sits on one.
    /// <paramref name="hostOfRank"/> is each world rank's host; TP groups are those <see cref="DeviceMesh.Create"/> builds.
    /// </summary>
    public static string? Check(IReadOnlyList<string> hostOfRank, int tensorParallel)
    {
        ArgumentNullException.ThrowIfNull(hostOfRank);
        if (tensorParallel < 1 || hostOfRank.Count % tensorParallel != 0)
            throw new ArgumentException($"{hostOfRank.Count} ranks do not form groups of {tensorParallel}.", nameof(tensorParallel));
        // The mesh's layout rule, shared with the analyzers' static check (TP0025).
        var spanning = Contract.MeshLayout.SpanningGroups(hostOfRank, tensorParallel)
            .Select(g => $"tp[{g.Group}] (world ranks {g.Ranks[0]}-{g.Ranks[^1]}) spans {string.Join(", ", g.Hosts)}")
            .ToList();
        if (spanning.Count == 0) return null;
        return $"Tensor parallelism crosses machines: {string.Join("; ", spanning)}. Its all-reduces (two per layer per token) "
            + $"then go over the network instead of the links inside a machine. {Remedy(hostOfRank, tensorParallel)}";
    }

    private static string Remedy(IReadOnlyList<string> hostOfRank, int tensorParallel)
    {
        var ranksPerHost = hostOfRank.GroupBy(h => h).ToDictionary(g => g.Key, g => g.Count());
        int smallest = ranksPerHost.Values.Min();
        if (ranksPerHost.Values.All(n => n % tensorParallel == 0))
            return $"Every host runs a multiple of tp={tensorParallel} ranks, so each group fits on one: start the ranks host by host "
                + $"(MPICH: mpiexec -ppn {smallest} or a hostfile with ':{smallest}'; Open MPI: --map-by slot), so that consecutive ranks share a machine.";
        return $"Hosts run {string.Join(", ", ranksPerHost.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"))} ranks; "
            + $"choose a tp that divides every host's rank count (at most {smallest}) and put the rest into data parallelism.";
    }

    /// <summary>This machine's name, as the ranks exchange it.</summary>
    internal static string ThisHost => Environment.MachineName;

    /// <summary>A host name as <see cref="NameBytes"/> floats, one UTF-8 byte each (a float holds a byte exactly).</summary>
    internal static void Encode(string host, Span<float> destination)
    {
        destination.Clear();
        var bytes = Encoding.UTF8.GetBytes(host);
        for (int i = 0; i < Math.Min(bytes.Length, NameBytes); i++) destination[i] = bytes[i];
    }

    internal static string Decode(ReadOnlySpan<float> source)
    {
        var bytes = new byte[NameBytes];
        int length = 0;
        while (length < source.Length && source[length] != 0) { bytes[length] = (byte)source[length]; length++; }
        return Encoding.UTF8.GetString(bytes, 0, length);
    }
}
