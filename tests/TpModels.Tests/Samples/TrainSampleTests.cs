using TrainSample;

namespace TpCodegen.Models.Tests.Samples;

/// <summary>The Train sample's parts, called as a library: its synthetic language, its runs on every mesh, its chart.</summary>
public class TrainSampleTests
{
    [Fact]
    public void The_reverse_task_predicts_only_the_reversed_half()
    {
        var task = new ReverseTask(symbols: 5, wordLength: 3);
        var (ids, targets) = task.Batch(step: 0, sequences: 2, ignoreIndex: -100);
        Assert.Equal(2 * 7, ids.Length);
        for (int s = 0; s < 2; s++)
        {
            var row = ids.AsSpan(s * 7, 7).ToArray();
            Assert.Equal(task.Separator, row[3]);
            Assert.Equal(new[] { row[2], row[1], row[0] }, row[4..]);
            // The separator predicts the last symbol, each reversed symbol the next; the word and the end predict nothing.
            Assert.Equal(new[] { -100, -100, -100, row[4], row[5], row[6], -100 }, targets.AsSpan(s * 7, 7).ToArray());
        }
        Assert.Equal(ids, task.Batch(step: 0, sequences: 2, ignoreIndex: -100).Ids);
        Assert.NotEqual(ids, task.Batch(step: 1, sequences: 2, ignoreIndex: -100).Ids);
    }

    [Fact]
    public void Every_mesh_gives_the_curve_of_one_rank_and_the_chart_is_a_png()
    {
        const int steps = 12;
        var dense = new LlamaModel(ReverseTraining.Config);
        var reference = ReverseTraining.Run(dense, dp: 1, tp: 1, steps);
        var curves = new Dictionary<string, float[]>
        {
            ["tp=1"] = reference,
            ["dp=2 x tp=2"] = ReverseTraining.Run(dense, dp: 2, tp: 2, steps),
            ["tp=2 seq-par"] = ReverseTraining.Run(dense.ToDense(sequenceParallel: true), dp: 1, tp: 2, steps),
        };
        Assert.True(reference[^1] < reference[0], $"the loss falls: {reference[0]} -> {reference[^1]}");
        foreach (var (name, losses) in curves)
            for (int s = 0; s < steps; s++)
                Assert.True(Math.Abs(losses[s] - reference[s]) <= 1e-5 * reference[s], $"{name} step {s}: {losses[s]} vs tp=1 {reference[s]}");

        using var directory = new TempDirectory("train-chart");
        string png = Path.Combine(directory.Path, "loss.png");
        LossChart.Save(png, curves);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
    }
}
