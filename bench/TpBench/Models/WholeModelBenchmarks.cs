using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using TpCodegen.Collectives;
using TpCodegen.Models;

namespace TpCodegen.Bench.Models;

/// <summary>
/// The 4-layer TinyLlama-shaped model: prefill of 512 tokens and one decode step with a KV cache of 512, at tp=1 (the
/// same generated model on one rank) and tp=2 on in-process ranks, side by side. The efficiency of tp=2 is
/// tp1 / (2 * tp2); decode is memory-bound, so compare each decode time with its bound (README: bytes read per step per
/// rank over the bandwidth <see cref="MemoryBandwidthBenchmarks"/> measures).
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class WholeModelBenchmarks
{
    private const int PromptLength = 512;
    private static readonly int[] s_prompt = TinyLlamaShapes.Prompt(PromptLength);

    private LlamaModel _dense = null!;
    private LlamaModel _singleRank = null!;
    private DecoderCache _singleCache = null!;
    private PersistentWorld _prefill2 = null!;
    private PersistentWorld _decode2 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dense = new LlamaModel(TinyLlamaShapes.Config);
        _singleRank = new LlamaModel(TinyLlamaShapes.Config);
        _singleRank.ShardFrom(_dense, SingleRankGroup.Instance);
        _singleCache = _singleRank.CreateCache(1, PromptLength + 1);
        Prefill(_singleRank, _singleCache);
        _prefill2 = new PersistentWorld(2, group =>
        {
            var model = Shard(group);
            var cache = model.CreateCache(1, PromptLength + 1);
            return () => Prefill(model, cache);
        });
        _decode2 = new PersistentWorld(2, group =>
        {
            var model = Shard(group);
            var cache = model.CreateCache(1, PromptLength + 1);
            Prefill(model, cache);
            return () => Decode(model, cache);
        });
    }

    private LlamaModel Shard(ProcessGroup group)
    {
        var model = new LlamaModel(TinyLlamaShapes.Config);
        model.ShardFrom(_dense, group);
        return model;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _prefill2.Dispose();
        _decode2.Dispose();
    }

    [Benchmark(Baseline = true, Description = "prefill 512, tp=1")]
    public int[] Prefill1() => Prefill(_singleRank, _singleCache);

    [Benchmark(Description = "prefill 512, tp=2")]
    public void Prefill2() => _prefill2.RunOnce();

    [Benchmark(Description = "decode step (cache 512), tp=1")]
    public int[] Decode1() => Decode(_singleRank, _singleCache);

    [Benchmark(Description = "decode step (cache 512), tp=2")]
    public void Decode2() => _decode2.RunOnce();

    private static int[] Prefill(LlamaModel model, DecoderCache cache)
    {
        cache.Clear();
        using var buffers = StepBuffers.Enter();
        return VocabParallel.Argmax(model.Forward(s_prompt, SequenceBatch.Prefill(PromptLength), cache, LogitRows.LastOfEachSequence));
    }

    // The step at position 512 again and again: the cache keeps its 512 positions, each step rewrites the 513th.
    private static int[] Decode(LlamaModel model, DecoderCache cache)
    {
        using var buffers = StepBuffers.Enter();
        return VocabParallel.Argmax(model.Forward([17], SequenceBatch.Decode([0], [PromptLength]), cache, LogitRows.LastOfEachSequence));
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(10)
            .WithInvocationCount(1)
            .WithUnrollFactor(1));
    }
}
