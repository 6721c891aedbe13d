using System.Globalization;

namespace TpCodegen.Models.Planning;

/// <summary>
/// What one rank can do, for a plan's predictions: the link to the other ranks, the rate of its matrix multiplies (prefill
/// is compute-bound) and its memory read bandwidth (a decode step reads every weight once and is memory-bound). The
/// defaults are this project's 2-core CPU VMs: ~100 GFLOP/s of F32 GEMM, ~28 GB/s read, in-process ranks.
/// </summary>
public sealed record PlanHardware(Interconnect Interconnect, double GflopsPerRank = 100, double MemoryGBpsPerRank = 28)
{
    public static PlanHardware Default { get; } = new(Interconnect.SharedMemory);

    public PlanHardware Validate()
    {
        ArgumentNullException.ThrowIfNull(Interconnect);
        if (!(GflopsPerRank > 0)) throw new ArgumentOutOfRangeException(nameof(GflopsPerRank), GflopsPerRank, "The compute rate per rank must be positive (GFLOP/s).");
        if (!(MemoryGBpsPerRank > 0)) throw new ArgumentOutOfRangeException(nameof(MemoryGBpsPerRank), MemoryGBpsPerRank, "The memory bandwidth per rank must be positive (GB/s).");
        if (!(Interconnect.BandwidthGBps > 0) || !(Interconnect.LatencyMicroseconds >= 0))
            throw new ArgumentOutOfRangeException(nameof(Interconnect), Interconnect, "An interconnect needs a positive bandwidth and a latency of at least 0.");
        return this;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Interconnect}, {GflopsPerRank:0.#} GFLOP/s and {MemoryGBpsPerRank:0.#} GB/s memory per rank");
}
