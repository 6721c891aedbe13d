using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// Twenty AdamW steps (weight decay, global-norm clipping) of a small Llama at tp=1, dp=2, tp=2, tp=4 and dp=2 x tp=2, with
/// sequence parallelism off and on (norms and residuals on token shards, all-gathers and reduce-scatters): every
/// run has the losses of tp=1 and ends with its weights (each rank's blocks equal to its slice of tp=1's), and every
/// step runs exactly the collectives the plan predicts, per group, bytes included: the split contract's over
/// tensor-parallel ranks (so no weight gradient crosses them), one call per gradient bucket plus the loss over
/// data-parallel ones.
/// </summary>
public sealed class DataTensorParallelTrainingTests
{
    private const int Steps = 20;

    [Fact]
    public void Every_mesh_trains_like_one_rank()
    {
        var dense = TinyTraining.Dense();
        var reference = Train(dense, dp: 1, tp: 1, bucketFloats: DataParallelGradients.DefaultBucketFloats)[0];
        Assert.True(reference.Losses[^1] < reference.Losses[0] * 0.9, $"training lowers the loss: {reference.Losses[0]} -> {reference.Losses[^1]}");
        Assert.True(reference.Norms.Count(n => n > 1f) >= 5, $"clipping acts on several steps: norms {string.Join(", ", reference.Norms)}");

        // The same weights, built for sequence parallelism.
        var denseSequenceParallel = dense.ToDense(sequenceParallel: true);
        // A small bucket at dp=2 so the data-parallel reduction takes several calls, as in a large model.
        foreach (var (dp, tp, bucket, sequenceParallel) in new[] { (2, 1, 0, false), (1, 2, 0, false), (1, 4, 0, false), (2, 2, 5000, false), (1, 2, 0, true), (1, 4, 0, true), (2, 2, 5000, true) })
        {
            var ranks = Train(sequenceParallel ? denseSequenceParallel : dense, dp, tp, bucket == 0 ? DataParallelGradients.DefaultBucketFloats : bucket);
            foreach (var rank in ranks)
            {
                string at = $"dp={dp} x tp={tp}{(sequenceParallel ? " sequence-parallel" : "")} rank {rank.Rank}";
                // Float sums run in another order at each degree (and the JIT may vectorise a reduction differently once it
                // re-compiles it), so twenty steps agree to 1e-5 (2e-6 measured), not bit for bit.
                for (int s = 0; s < Steps; s++)
                    Assert.True(Math.Abs(rank.Losses[s] - reference.Losses[s]) <= 1e-5 * Math.Abs(reference.Losses[s]),
                        $"{at} step {s}: loss {rank.Losses[s]} vs tp=1 {reference.Losses[s]}");
                // The global norm counts each shard once and each replicated parameter once: the same at every degree.
                for (int s = 0; s < Steps; s++)
                    Assert.True(Math.Abs(rank.Norms[s] - reference.Norms[s]) <= 1e-4 * reference.Norms[s],
                        $"{at} step {s}: gradient norm {rank.Norms[s]} vs tp=1 {reference.Norms[s]}");
                foreach (var (name, expected) in rank.ExpectedWeights(reference.Weights))
                    Reference.AssertClose(expected, rank.Weights[name], $"{at} final {name}", tolerance: 1e-4);
                Assert.Empty(rank.CollectiveMismatches);
            }
        }
    }

    /// <summary>A head tied to the embedding: a step at tp=3 makes the collectives of the plan, the tied head's backward included.</summary>
    [Fact]
    public void A_tied_head_step_runs_the_planned_collectives()
    {
        var config = TinyTraining.Config with { TieEmbeddings = true, Heads = 6, KvHeads = 3, HeadDim = 8 };
        var dense = new LlamaModel(config);
        var mismatches = InProcessWorld.Run(3, group =>
        {
            var model = new LlamaModel(config);
            model.ShardFrom(dense, group);
            var trainer = new Trainer(new AdamW(model.Parameters()), group, maxGradientNorm: 1f);
            int[] ids = [1, 2, 3, 4, 5, 6];
            var plan = model.TrainingPlan(tp: 3, tokens: ids.Length, clipping: true, dataParallel: 1);
            group.Counters.Reset();
            trainer.Step(() => model.Loss(ids, ids.Reverse().ToArray(), SequenceBatch.Prefill(6)));
            var found = new List<string>();
            Check(found, "tied head", group.Counters, plan.TensorParallelCalls, plan.TensorParallelBytes(CollectiveKind.AllReduce));
            return found;
        });
        Assert.All(mismatches, Assert.Empty);
    }

    private sealed record RankRun(int Rank, float[] Losses, float[] Norms, Dictionary<string, float[]> Weights,
        Func<IReadOnlyDictionary<string, float[]>, Dictionary<string, float[]>> ExpectedWeights, List<string> CollectiveMismatches);

    private static RankRun[] Train(LlamaModel dense, int dp, int tp, int bucketFloats) => InProcessWorld.Run(dp * tp, world =>
    {
        using var run = new TinyTraining(world, dense, dp, tp, bucketFloats);
        var (tensorParallel, dataParallel) = (run.Mesh.TensorParallel, run.Mesh.DataParallel);
        var losses = new float[Steps];
        var norms = new float[Steps];
        var mismatches = new List<string>();
        for (int step = 0; step < Steps; step++)
        {
            tensorParallel.Counters.Reset();
            dataParallel.Counters.Reset();
            (losses[step], norms[step], _) = run.StepWithNorm(step);
            Check(mismatches, $"step {step} tensor-parallel", tensorParallel.Counters, run.Plan.TensorParallelCalls,
                run.Plan.TensorParallelBytes(CollectiveKind.AllReduce));
            Check(mismatches, $"step {step} data-parallel", dataParallel.Counters, run.Plan.DataParallelCalls, null);
        }
        return new RankRun(world.Rank, losses, norms, run.Weights(), denseWeights => ShardSlices.Expected(run.Model, denseWeights), mismatches);
    });

    private static void Check(List<string> mismatches, string what, CollectiveCounters counters, Func<CollectiveKind, int> planned, long? allReduceBytes)
    {
        foreach (var kind in new[] { CollectiveKind.AllReduce, CollectiveKind.AllGather, CollectiveKind.ReduceScatter, CollectiveKind.Broadcast })
            if (counters.Calls(kind) != planned(kind)) mismatches.Add($"{what}: {counters.Calls(kind)} {kind} calls, plan {planned(kind)}");
        if (allReduceBytes is { } bytes && counters.Bytes(CollectiveKind.AllReduce) != bytes)
            mismatches.Add($"{what}: {counters.Bytes(CollectiveKind.AllReduce)} all-reduce bytes, plan {bytes}: something the plan does not know crossed the group");
    }
}
