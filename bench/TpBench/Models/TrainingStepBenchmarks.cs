using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using TpCodegen.Collectives;
using TpCodegen.Models;
using TpCodegen.Training;

namespace TpCodegen.Bench.Models;

/// <summary>
/// One training step (forward, backward on the tape, AdamW) of the 4-layer TinyLlama-shaped model on 512 tokens, at tp=1
/// (the same generated model on one rank) and tp=2 on in-process ranks, side by side; and at tp=1 the forward alone and the
/// forward with its backward, so that the backward's cost reads as (forward + backward - forward) / forward. Efficiency of
/// tp=2 = tp1 / (2 x tp2). Setup prints each rank's bytes allocated by one recorded forward (the activations the tape
/// keeps for the backward).
/// </summary>
[Config(typeof(Config))]
public class TrainingStepBenchmarks
{
    private const int Tokens = 512;
    private static readonly int[] s_ids = TinyLlamaShapes.Prompt(Tokens);
    private static readonly int[] s_targets = s_ids.Skip(1).Append(0).ToArray();

    private LlamaModel _dense = null!;
    private LlamaModel _model = null!;
    private Trainer _trainer = null!;
    private PersistentWorld _step2 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dense = new LlamaModel(TinyLlamaShapes.Config);
        (_model, _trainer) = Build(SingleRankGroup.Instance);
        Console.WriteLine($"// tp=1: a recorded forward allocates {ForwardBytes(_model) / (1 << 20)} MiB");
        var perRank = new long[2];
        _step2 = new PersistentWorld(2, group =>
        {
            var (model, trainer) = Build(group);
            perRank[group.Rank] = ForwardBytes(model);
            return () => trainer.Step(() => Loss(model));
        });
        Console.WriteLine($"// tp=2: a recorded forward allocates {perRank[0] / (1 << 20)} and {perRank[1] / (1 << 20)} MiB per rank");
    }

    [GlobalCleanup]
    public void Cleanup() => _step2.Dispose();

    [Benchmark(Description = "forward (loss), tp=1")]
    public float Forward() => Loss(_model).LocalSpan[0];

    [Benchmark(Description = "forward + backward, tp=1")]
    public float ForwardBackward()
    {
        using var tape = Tape.Start();
        var loss = Loss(_model);
        tape.Backward(loss);
        _trainer.Optimizer.Parameters.ZeroGrad();
        return loss.LocalSpan[0];
    }

    [Benchmark(Baseline = true, Description = "training step (forward, backward, AdamW), tp=1")]
    public float Step1() => _trainer.Step(() => Loss(_model)).Loss;

    [Benchmark(Description = "training step, tp=2")]
    public void Step2() => _step2.RunOnce();

    private (LlamaModel Model, Trainer Trainer) Build(ProcessGroup group)
    {
        var model = new LlamaModel(TinyLlamaShapes.Config);
        model.ShardFrom(_dense, group);
        var optimizer = new AdamW(model.Parameters(), learningRate: 1e-4f);
        return (model, new Trainer(optimizer, group));
    }

    private static DTensor Loss(LlamaModel model) => model.Loss(s_ids, s_targets, SequenceBatch.Prefill(Tokens));

    private static long ForwardBytes(LlamaModel model)
    {
        using var tape = Tape.Start();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Loss(model);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5)
            .WithInvocationCount(1).WithUnrollFactor(1));
    }
}
