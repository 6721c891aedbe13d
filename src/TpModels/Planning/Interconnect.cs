using System.Globalization;

namespace TpCodegen.Models.Planning;

/// <summary>
/// The link between the ranks of a tensor-parallel group, as a plan models it: bandwidth each way and a latency per step
/// of a ring collective. The presets are round figures for the usual links, stated with their assumption; they predict
/// orders of magnitude (which degree pays), not a benchmark.
/// </summary>
/// <param name="BandwidthGBps">Bytes per second each way between neighbours in the ring, in GB/s (10^9 bytes).</param>
/// <param name="LatencyMicroseconds">Cost of one step of a ring collective, whatever its size.</param>
public sealed record Interconnect(string Name, double BandwidthGBps, double LatencyMicroseconds, string Assumption = "")
{
    /// <summary>NVLink 4 (H100 SXM): 900 GB/s both ways together, so 450 each way; about 2 us per step (assumed).</summary>
    public static Interconnect NvLink4 { get; } = new("nvlink4", 450, 2,
        "H100 SXM NVLink 4: 900 GB/s in both directions = 450 GB/s each way; ~2 us per ring step (assumed, NCCL small messages)");

    /// <summary>PCIe 4.0 x16 between GPUs of one host without NVLink.</summary>
    public static Interconnect Pcie4 { get; } = new("pcie4", 25, 5, "PCIe 4.0 x16: 32 GB/s raw, ~25 GB/s achieved; ~5 us per step");

    /// <summary>InfiniBand HDR between machines.</summary>
    public static Interconnect InfinibandHdr { get; } = new("infiniband-hdr", 25, 2, "InfiniBand HDR 200 Gb/s = 25 GB/s; ~2 us per step between machines");

    /// <summary>100 Gb Ethernet between machines.</summary>
    public static Interconnect Ethernet100G { get; } = new("ethernet-100g", 12, 10, "100 GbE: 12.5 GB/s line rate, ~12 achieved; ~10 us per step (TCP/RoCE)");

    /// <summary>This runtime's in-process ranks: threads of one process exchanging through shared memory.</summary>
    public static Interconnect SharedMemory { get; } = new("shared-memory", 20, 1,
        "in-process ranks on one CPU: copies through shared memory, ~20 GB/s; ~1 us per rendezvous");

    public static IReadOnlyList<Interconnect> Presets { get; } = [NvLink4, Pcie4, InfinibandHdr, Ethernet100G, SharedMemory];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive); the error lists the presets.</summary>
    public static Interconnect Named(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Presets.FirstOrDefault(p => string.Equals(p.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            // No parameter name: the message is shown to people choosing a preset on a command line.
            ?? throw new ArgumentException($"No interconnect preset named '{name}'; presets: {string.Join(", ", Presets.Select(p => p.Name))}.");
    }

    /// <summary>
    /// Seconds one ring all-reduce of <paramref name="bytes"/> takes over <paramref name="ranks"/> ranks: a reduce-scatter
    /// and an all-gather, each <c>ranks - 1</c> steps moving <c>bytes / ranks</c>: <c>2(p-1)/p * bytes / bandwidth + 2(p-1) * latency</c>.
    /// </summary>
    public double AllReduceSeconds(long bytes, int ranks) => ranks <= 1 ? 0
        : 2.0 * (ranks - 1) / ranks * bytes / BytesPerSecond + 2.0 * (ranks - 1) * LatencySeconds;

    /// <summary>Seconds one ring all-gather takes when each rank contributes <paramref name="bytesPerRank"/>: <c>(p-1)</c> steps of that size.</summary>
    public double AllGatherSeconds(long bytesPerRank, int ranks) => ranks <= 1 ? 0
        : (ranks - 1) * ((double)bytesPerRank / BytesPerSecond + LatencySeconds);

    private double BytesPerSecond => BandwidthGBps * 1e9;

    private double LatencySeconds => LatencyMicroseconds * 1e-6;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({BandwidthGBps:0.#} GB/s, {LatencyMicroseconds:0.#} us)");
}
