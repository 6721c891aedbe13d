using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;

namespace TpCodegen.Bench.Models;

/// <summary>
/// This machine's read bandwidth with one and with two threads, each summing its own 512 MiB buffer (far past the
/// caches; the buffer's length is a multiple of 64 floats): the bound a decode step (which reads every weight once) is measured against. GB/s = threads * 512 MiB / mean.
/// </summary>
[Config(typeof(Config))]
public class MemoryBandwidthBenchmarks
{
    private const int Floats = 128 << 20; // 512 MiB
    private float[][] _buffers = null!;

    [GlobalSetup]
    public void Setup()
    {
        _buffers = [new float[Floats], new float[Floats]];
        foreach (var buffer in _buffers) buffer.AsSpan().Fill(1f); // touch every page
    }

    [Benchmark(Baseline = true, Description = "read 512 MiB, 1 thread")]
    public float OneThread() => Read(_buffers[0]);

    [Benchmark(Description = "read 2 x 512 MiB, 2 threads")]
    public float TwoThreads()
    {
        float other = 0;
        var thread = new Thread(() => other = Read(_buffers[1]));
        thread.Start();
        float mine = Read(_buffers[0]);
        thread.Join();
        return mine + other;
    }

    // Reads the way the GEMV does: four streams at once (the GEMV walks several weight rows together), each into its
    // own sum, so neither one prefetch stream nor one add chain limits the loads (a single-stream, single-accumulator
    // sum measured 15-20% under what the decode step itself reached).
    private static unsafe float Read(float[] buffer)
    {
        var (a, b, c, d) = (Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero);
        long quarter = buffer.Length / 4;
        fixed (float* start = buffer)
        {
            float* p0 = start, p1 = start + quarter, p2 = start + 2 * quarter, p3 = start + 3 * quarter;
            for (long i = 0; i < quarter; i += 16)
            {
                a += Vector512.Load(p0 + i);
                b += Vector512.Load(p1 + i);
                c += Vector512.Load(p2 + i);
                d += Vector512.Load(p3 + i);
            }
        }
        return Vector512.Sum(a + b + c + d);
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(15).WithInvocationCount(1).WithUnrollFactor(1));
    }
}
