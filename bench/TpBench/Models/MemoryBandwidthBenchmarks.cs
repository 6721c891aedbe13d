using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;

namespace TpCodegen.Bench.Models;

/// <summary>
/// This machine's read bandwidth with one and with two threads, each summing its own 512 MiB buffer (far past the
/// caches): the bound a decode step (which reads every weight once) is measured against. GB/s = threads * 512 MiB / mean.
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
    public float OneThread() => TensorPrimitives.Sum(_buffers[0]);

    [Benchmark(Description = "read 2 x 512 MiB, 2 threads")]
    public float TwoThreads()
    {
        float other = 0;
        var thread = new Thread(() => other = TensorPrimitives.Sum(_buffers[1]));
        thread.Start();
        float mine = TensorPrimitives.Sum(_buffers[0]);
        thread.Join();
        return mine + other;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(15).WithInvocationCount(1).WithUnrollFactor(1));
    }
}
