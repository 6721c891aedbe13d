using TpCodegen.Checkpoints;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models.Tests.Samples;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// A model trained at tp=2 is gathered into its dense form, saved as a Hugging Face directory with LlamaExport, and read
/// back at tp=2 by the checkpoint loader: every rank's parameters come back bit for bit and the loss is the same.
/// </summary>
public sealed class ExportTests
{
    [Fact]
    public void A_trained_sharded_model_exports_and_reloads()
    {
        using var directory = new TempDirectory("export");
        var dense = TinyTraining.Dense();
        var batch = SequenceBatch.Prefill(5, 4);
        int[] ids = [1, 5, 9, 60, 3, 4, 4, 17, 2];
        int[] targets = ids.Select(x => (7 * x + 3) % TinyTraining.Config.Vocabulary).ToArray();
        var trained = InProcessWorld.Run(2, world =>
        {
            using var run = new TinyTraining(world, dense, dp: 1, tp: 2);
            for (int step = 0; step < 3; step++) run.Step(step);
            var gathered = run.Model.ToDense();
            if (world.Rank == 0) LlamaExport.Save(gathered, directory.Path);
            return (Weights: run.Weights(), Loss: run.Model.Loss(ids, targets, batch).LocalSpan[0]);
        });

        InProcessWorld.Run(2, group =>
        {
            using var checkpoint = HuggingFaceCheckpoint.Open(directory.Path);
            var model = new LlamaModel(LlamaConfig.Read(Path.Combine(directory.Path, "config.json")));
            model.Load(checkpoint, group);
            var expected = trained[group.Rank];
            foreach (var item in model.Parameters().Items)
                Assert.True(item.Parameter.Value.AsSpan().SequenceEqual(expected.Weights[item.Name]), $"rank {group.Rank}: {item.Name} differs after export and reload");
            Assert.Equal(expected.Loss, model.Loss(ids, targets, batch).LocalSpan[0]);
        });
    }
}
