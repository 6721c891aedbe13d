using System.Diagnostics;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models;
using TpCodegen.Training;

namespace TrainSample;

/// <summary>One run of the sample: a small Llama learns the reverse task on a dp x tp mesh of in-process ranks.</summary>
public static class ReverseTraining
{
    public const int Sequences = 16;

    /// <summary>The sample's task: words of 6 of 29 symbols.</summary>
    public static ReverseTask Task { get; } = new(symbols: 29, wordLength: 6);

    /// <summary>The sample's model: 48 hidden, 2 layers, 6 heads over 2 key/value heads.</summary>
    public static LlamaConfig Config { get; } = LlamaConfig.Small(vocabulary: Task.Vocabulary, hidden: 48, intermediate: 120, layers: 2, heads: 6, kvHeads: 2);

    /// <summary>
    /// Trains <paramref name="source"/>'s weights (sequence-parallel when it is) for <paramref name="steps"/> steps on a
    /// <paramref name="dp"/> x <paramref name="tp"/> mesh; returns the loss of each step, calling
    /// <paramref name="report"/> (step, loss, tokens per second) from rank 0 after each.
    /// </summary>
    public static float[] Run(LlamaModel source, int dp, int tp, int steps, Action<int, float, double>? report = null)
    {
        var losses = new float[steps];
        InProcessWorld.Run(dp * tp, world =>
        {
            using var mesh = DeviceMesh.Create(world, dp, tp);
            var model = new LlamaModel(Config, sequenceParallel: source.SequenceParallel);
            model.ShardFrom(source, mesh.TensorParallel);
            var trainer = new Trainer(new AdamW(model.Parameters(), learningRate: 3e-3f, weightDecay: 0.01f), mesh.TensorParallel, mesh.DataParallel, maxGradientNorm: 1f);
            int perReplica = Sequences / dp, replica = mesh.DataParallel.Rank;
            var batch = SequenceBatch.Prefill(Enumerable.Repeat(Task.Length, perReplica).ToArray());
            var clock = Stopwatch.StartNew();
            for (int step = 0; step < steps; step++)
            {
                var (ids, targets) = Task.Batch(step, Sequences, VocabParallelCrossEntropy.DefaultIgnoreIndex);
                // This replica's sequences: a contiguous slice of the batch, the same on its tensor-parallel ranks.
                var mine = new Range(replica * perReplica * Task.Length, (replica + 1) * perReplica * Task.Length);
                float loss = trainer.Step(() => model.Loss(ids[mine], targets[mine], batch)).Loss;
                if (world.Rank != 0) continue;
                losses[step] = loss;
                report?.Invoke(step, loss, (step + 1) * (double)Sequences * Task.Length / clock.Elapsed.TotalSeconds);
            }
        });
        return losses;
    }
}
