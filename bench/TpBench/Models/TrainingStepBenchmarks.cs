using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using TpCodegen.Collectives;
using TpCodegen.Models;
using TpCodegen.Training;

namespace TpCodegen.Bench.Models;

/// <summary>
/// One training step of the 4-layer TinyLlama-shaped model on 512 tokens, at tp=1, tp=2 and tp=2 with sequence
/// parallelism (in-process ranks, one world per mesh, kept across invocations): the forward alone, forward and
/// backward on the tape, and the whole step (AdamW and clipping too). tp=2 efficiency = step(tp=1) / (2 * step(tp=2));
/// the backward costs (forward+backward - forward) / forward of the forward. Setup prints what each rank's step pool
/// holds after a forward on the tape (the activations kept for the backward, which sequence parallelism must lower) and
/// after the whole step.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project bench/TpBench -- --filter '*TrainingStep*'</c> (about 8 GiB of memory at tp=1).</remarks>
[Config(typeof(Config))]
public class TrainingStepBenchmarks
{
    private const int Tokens = 512;
    private static readonly int[] s_ids = TinyLlamaShapes.Prompt(Tokens);
    private static readonly int[] s_targets = s_ids.Skip(1).Append(0).ToArray();

    private PersistentWorld _world = null!;
    private volatile Part _part;

    [Params("tp=1", "tp=2", "tp=2 seq-par")]
    public string Mesh { get; set; } = "tp=1";

    private enum Part { Forward, ForwardBackward, Step }

    [GlobalSetup]
    public void Setup()
    {
        bool sequenceParallel = Mesh.EndsWith("seq-par", StringComparison.Ordinal);
        int tp = Mesh.StartsWith("tp=2", StringComparison.Ordinal) ? 2 : 1;
        var dense = new LlamaModel(TinyLlamaShapes.Config, sequenceParallel: sequenceParallel);
        var kept = new (long Forward, long Step)[tp];
        _world = new PersistentWorld(tp, group =>
        {
            var model = new LlamaModel(TinyLlamaShapes.Config, sequenceParallel: sequenceParallel);
            model.ShardFrom(dense, group);
            var parameters = model.Parameters();
            var trainer = new Trainer(new AdamW(parameters), group, maxGradientNorm: 1f);
            kept[group.Rank] = PooledActivationBytes(model, parameters);
            return () => Run(model, parameters, trainer);
        });
        Console.WriteLine($"// {Mesh}: per rank, the forward's activations {Mebibytes(kept.Select(k => k.Forward))}; the step's pool {Mebibytes(kept.Select(k => k.Step))}");
    }

    private static string Mebibytes(IEnumerable<long> bytes) => string.Join(", ", bytes.Select(b => $"{b / (1024.0 * 1024):F0} MiB"));

    [GlobalCleanup]
    public void Cleanup() => _world.Dispose();

    [Benchmark(Baseline = true, Description = "forward (loss)")]
    public void Forward() => RunPart(Part.Forward);

    [Benchmark(Description = "forward + backward")]
    public void ForwardBackward() => RunPart(Part.ForwardBackward);

    [Benchmark(Description = "training step (+ clipping, AdamW)")]
    public void Step() => RunPart(Part.Step);

    private void RunPart(Part part)
    {
        _part = part;
        _world.RunOnce();
    }

    private void Run(LlamaModel model, ParameterSet parameters, Trainer trainer)
    {
        var batch = SequenceBatch.Prefill(Tokens);
        switch (_part)
        {
            // In a step scope, as Trainer.Step runs them: activations come from the rank's pool from the second run on.
            case Part.Forward:
                using (StepBuffers.Enter()) model.Loss(s_ids, s_targets, batch);
                break;
            case Part.ForwardBackward:
                using (StepBuffers.Enter())
                using (var tape = Tape.Start())
                    tape.Backward(model.Loss(s_ids, s_targets, batch));
                parameters.ZeroGrad();
                break;
            default:
                trainer.Step(() => model.Loss(s_ids, s_targets, batch));
                break;
        }
    }

    // What the rank's step pool grows by in a forward on the tape, as Trainer.Step runs it: the activations the tape keeps
    // until the backward, plus the buffers released during the forward (sequence parallelism's gathered tokens), counted
    // once since the next gather reuses them. Then the same for the backward: the pool a whole step needs.
    private static (long Forward, long Step) PooledActivationBytes(LlamaModel model, ParameterSet parameters)
    {
        long before = StepBuffers.PooledBytes, forward;
        using (StepBuffers.Enter())
        using (var tape = Tape.Start())
        {
            var loss = model.Loss(s_ids, s_targets, SequenceBatch.Prefill(Tokens));
            forward = StepBuffers.PooledBytes - before;
            tape.Backward(loss);
        }
        parameters.ZeroGrad();
        return (forward, StepBuffers.PooledBytes - before);
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(3)
            .WithInvocationCount(1)
            .WithUnrollFactor(1));
    }
}
