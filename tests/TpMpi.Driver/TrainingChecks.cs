using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models;
using TpCodegen.Training;

namespace TpCodegen.MpiDriver;

/// <summary>
/// Training across MPI processes: a small Llama (grouped-query attention, a padded vocabulary) trained for 20 AdamW steps
/// on every dp x tp mesh of the world with tp above 1, with sequence parallelism off and on, must have the losses of one rank (trained in-process here, from the
/// same weights and batches) to 1e-5 (float sums run in another order), end with its weights (gathered over the tensor-parallel group) to 1e-4, and run
/// exactly the collectives of the training plan on each group in every step.
/// </summary>
internal sealed class TrainingChecks(ProcessGroup world, CheckReporter reporter)
{
    private const int Steps = 20, Sequences = 4, Length = 7;
    private static readonly LlamaConfig s_config = LlamaConfig.Small(vocabulary: 61, hidden: 48, intermediate: 72, layers: 2, heads: 8, kvHeads: 4);

    public void RunAll()
    {
        var dense = new LlamaModel(s_config);
        var denseSequenceParallel = dense.ToDense(sequenceParallel: true);
        var reference = InProcessWorld.Run(1, group => Train(group, dense, dp: 1, tp: 1))[0];
        for (int tp = 2; tp <= world.Size; tp++)
        {
            if (world.Size % tp != 0 || s_config.KvHeads % tp != 0) continue;
            var run = Train(world, dense, world.Size / tp, tp);
            reporter.Report($"training mesh {world.Size / tp}x{tp} matches one rank", Compare(run, reference));
            var sequenceParallel = Train(world, denseSequenceParallel, world.Size / tp, tp);
            reporter.Report($"training mesh {world.Size / tp}x{tp} sequence-parallel matches one rank", Compare(sequenceParallel, reference));
        }
    }

    private static string? Compare(Run run, Run reference)
    {
        if (run.Mismatch is not null) return run.Mismatch;
        for (int s = 0; s < Steps; s++)
            if (Math.Abs(run.Losses[s] - reference.Losses[s]) > 1e-5 * Math.Abs(reference.Losses[s]))
                return $"step {s}: loss {run.Losses[s]}, one rank {reference.Losses[s]}";
        foreach (var (name, values) in reference.Weights)
        {
            var mine = run.Weights[name];
            double scale = Math.Max(1, values.Max(v => Math.Abs((double)v)));
            for (int i = 0; i < values.Length; i++)
                if (Math.Abs(mine[i] - values[i]) > 1e-4 * scale) return $"final {name}[{i}]: {mine[i]}, one rank {values[i]}";
        }
        return null;
    }

    private sealed record Run(float[] Losses, Dictionary<string, float[]> Weights, string? Mismatch);

    private static Run Train(ProcessGroup group, LlamaModel dense, int dp, int tp)
    {
        using var mesh = DeviceMesh.Create(group, dp, tp);
        var model = new LlamaModel(s_config, sequenceParallel: dense.SequenceParallel);
        model.ShardFrom(dense, mesh.TensorParallel);
        var trainer = new Trainer(new AdamW(model.Parameters(), learningRate: 3e-3f, epsilon: 1e-6f, weightDecay: 0.01f), mesh.TensorParallel, mesh.DataParallel, maxGradientNorm: 1f);
        int perReplica = Sequences / dp, replica = mesh.DataParallel.Rank;
        var plan = model.TrainingPlan(tp, perReplica * Length, clipping: true, dp);
        var batch = SequenceBatch.Prefill(Enumerable.Repeat(Length, perReplica).ToArray());
        var losses = new float[Steps];
        string? mismatch = null;
        for (int step = 0; step < Steps; step++)
        {
            var random = new Random(100 + step);
            var ids = Enumerable.Range(0, Sequences * Length).Select(_ => random.Next(s_config.Vocabulary)).ToArray();
            // The first sequence padded after 4 tokens: replicas count unequal tokens, and must still train like one rank.
            var targets = ids.Select((x, t) => t is >= 4 and < Length ? VocabParallelCrossEntropy.DefaultIgnoreIndex : (7 * x + 3) % s_config.Vocabulary).ToArray();
            var mine = new Range(replica * perReplica * Length, (replica + 1) * perReplica * Length);
            mesh.TensorParallel.Counters.Reset();
            mesh.DataParallel.Counters.Reset();
            losses[step] = trainer.Step(() => model.Loss(ids[mine], targets[mine], batch)).Loss;
            mismatch ??= Counted(step, "tensor-parallel", mesh.TensorParallel.Counters, plan.TensorParallelCalls)
                      ?? Counted(step, "data-parallel", mesh.DataParallel.Counters, plan.DataParallelCalls);
        }
        var gathered = model.ToDense().Parameters();
        return new Run(losses, gathered.Items.ToDictionary(p => p.Name, p => p.Parameter.Value), mismatch);
    }

    private static string? Counted(int step, string group, CollectiveCounters counters, Func<CollectiveKind, int> planned)
    {
        foreach (var kind in new[] { CollectiveKind.AllReduce, CollectiveKind.AllGather, CollectiveKind.ReduceScatter, CollectiveKind.Broadcast })
            if (counters.Calls(kind) != planned(kind)) return $"step {step}: {counters.Calls(kind)} {kind} calls on the {group} group, plan {planned(kind)}";
        return null;
    }
}
