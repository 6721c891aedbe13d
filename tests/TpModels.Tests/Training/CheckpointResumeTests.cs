using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models.Tests.Samples;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// A dp=2 x tp=2 run saved after 6 of 12 steps and resumed in fresh models and optimizers (cut from a different dense
/// model, so nothing survives but the checkpoint) gives the remaining losses and final weights bit for bit.
/// </summary>
public sealed class CheckpointResumeTests
{
    private const int Steps = 12, SaveAfter = 6;

    [Fact]
    public void Resume_from_a_checkpoint_is_bit_exact()
    {
        using var directory = new TempDirectory("resume");
        var dense = TinyTraining.Dense();
        var uninterrupted = InProcessWorld.Run(4, world =>
        {
            using var run = new TinyTraining(world, dense, dp: 2, tp: 2);
            var losses = new float[Steps];
            for (int step = 0; step < Steps; step++)
            {
                losses[step] = run.Step(step);
                if (step == SaveAfter - 1) TrainingCheckpoint.Save(directory.Path, world.Rank, run.Optimizer);
            }
            return (Losses: losses, Weights: run.Weights());
        });

        var other = TinyTraining.Dense();
        var resumed = InProcessWorld.Run(4, world =>
        {
            using var run = new TinyTraining(world, other, dp: 2, tp: 2);
            TrainingCheckpoint.Load(directory.Path, world.Rank, run.Optimizer);
            Assert.Equal(SaveAfter, run.Optimizer.Steps);
            var losses = new float[Steps];
            for (int step = SaveAfter; step < Steps; step++) losses[step] = run.Step(step);
            return (Losses: losses, Weights: run.Weights());
        });

        for (int rank = 0; rank < 4; rank++)
        {
            for (int step = SaveAfter; step < Steps; step++)
                Assert.True(uninterrupted[rank].Losses[step] == resumed[rank].Losses[step],
                    $"rank {rank} step {step}: {resumed[rank].Losses[step]} resumed vs {uninterrupted[rank].Losses[step]}");
            foreach (var (name, values) in uninterrupted[rank].Weights)
                Assert.True(values.AsSpan().SequenceEqual(resumed[rank].Weights[name]), $"rank {rank}: {name} differs after resuming");
        }
    }

    [Fact]
    public void A_checkpoint_of_another_degree_is_refused_by_name()
    {
        using var directory = new TempDirectory("resume-degree");
        var dense = TinyTraining.Dense();
        InProcessWorld.Run(2, world =>
        {
            using var run = new TinyTraining(world, dense, dp: 1, tp: 2);
            TrainingCheckpoint.Save(directory.Path, world.Rank, run.Optimizer);
        });
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(1, world =>
        {
            using var run = new TinyTraining(world, dense, dp: 1, tp: 1);
            TrainingCheckpoint.Load(directory.Path, world.Rank, run.Optimizer);
        }));
        var inner = Assert.IsType<InvalidDataException>(error.InnerException);
        Assert.EndsWith("'model.embed_tokens.weight' holds 1488 values, but this rank's parameter has 2928: was it saved at another degree?", inner.Message);
    }
}
