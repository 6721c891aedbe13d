using BenchmarkDotNet.Attributes;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Bench.Collectives;

/// <summary>
/// In-process all-reduce at N ranks against a plain copy of the same bytes (the memory-bandwidth ceiling).
/// The bus-bandwidth column follows nccl-tests: algbw = bytes / time, busbw = algbw * 2(N-1)/N.
/// </summary>
[Config(typeof(BandwidthConfig))]
public class AllReduceBenchmarks
{
    [Params(4 * 1024, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024, 64 * 1024 * 1024)]
    public int Bytes { get; set; }

    [Params(2)]
    public int Ranks { get; set; }

    private RankPartners? _partners;
    private float[] _buffer = [];
    private float[] _copyTarget = [];

    [GlobalSetup]
    public void Setup()
    {
        int floats = Bytes / sizeof(float);
        _buffer = new float[floats];
        _copyTarget = new float[floats];
        var partnerBuffers = new float[Ranks][];
        for (int r = 0; r < Ranks; r++) partnerBuffers[r] = new float[floats];
        _partners = new RankPartners(InProcessWorld.CreateGroups(Ranks), group => group.AllReduce(partnerBuffers[group.Rank]));
    }

    [GlobalCleanup]
    public void Cleanup() => _partners?.Dispose();

    [Benchmark(Baseline = true, Description = "memory copy")]
    public void MemoryCopy() => _buffer.AsSpan().CopyTo(_copyTarget);

    [Benchmark(Description = "in-process all-reduce")]
    public void AllReduce() => _partners!.Leader.AllReduce(_buffer);
}
