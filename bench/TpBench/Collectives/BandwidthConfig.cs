using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace TpCodegen.Bench.Collectives;

/// <summary>A short job (the machine is shared; each size is a separate run) and the bandwidth columns.</summary>
public sealed class BandwidthConfig : ManualConfig
{
    public BandwidthConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(10));
        AddColumn(new BandwidthColumn(bus: false), new BandwidthColumn(bus: true));
    }
}

/// <summary>
/// algbw = bytes / mean time; busbw = algbw * 2(N-1)/N for an all-reduce (nccl-tests' PERFORMANCE.md), and
/// algbw for a copy, whose bus is the copy itself. Reads the Bytes and Ranks parameters of the case.
/// </summary>
internal sealed class BandwidthColumn(bool bus) : IColumn
{
    public string Id => bus ? "busbw" : "algbw";
    public string ColumnName => bus ? "busbw GB/s" : "algbw GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => bus ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => bus ? "bus bandwidth, algbw * 2(N-1)/N for an all-reduce" : "bytes / mean time";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } statistics) return "-";
        double bytes = Convert.ToDouble(benchmarkCase.Parameters["Bytes"], System.Globalization.CultureInfo.InvariantCulture);
        double algbw = bytes / statistics.Mean; // bytes per ns = GB/s
        if (bus && benchmarkCase.Descriptor.WorkloadMethod.Name == "AllReduce")
        {
            double ranks = Convert.ToDouble(benchmarkCase.Parameters["Ranks"], System.Globalization.CultureInfo.InvariantCulture);
            algbw *= 2 * (ranks - 1) / ranks;
        }
        return algbw.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
    }
}
