using System;
using System.IO;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class DropMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(128, 512);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(512, 128);
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(500, 128);
    private readonly DropoutRng _rng = new(1234);

    public DTensor Loss(int[] ids, int[] targets, ProcessGroup tp, bool training)
    {
        var x = Embed.Forward(ids, tp);
        var h = Ops.Gelu(Up.Forward(x));
        if (training) h = Dropout.Apply(h, 0.1f, _rng);
        var y = x + Down.Forward(h);
        if (training) y = Dropout.Apply(y, 0.1f, _rng);
        return VocabParallelCrossEntropy.Loss(Embed.Logits(y), targets, 500, ignoreIndex: -100);
    }
}

public static class FullRun
{
    public static void Train(ProcessGroup world, string checkpointDir, int[][] data)
    {
        using var mesh = DeviceMesh.Create(world, dataParallel: 2, tensorParallel: world.Size / 2);
        if (mesh.PlacementWarning is { } warning && world.Rank == 0) Console.Error.WriteLine(warning);
        var model = new DropMlp();
        var ps = new ParameterSet().Add("up", LayerParameters.Of(model.Up)).Add("down", LayerParameters.Of(model.Down)).Add("embed", LayerParameters.Of(model.Embed));
        var optimizer = new AdamW(ps, learningRate: 1e-3f);
        try
        {
            TrainingCheckpoint.Load(checkpointDir, world.Rank, optimizer);
        }
        catch (FileNotFoundException)
        {
            if (world.Rank == 0) Console.WriteLine("starting from scratch");
        }
        var trainer = new Trainer(optimizer, mesh.TensorParallel, mesh.DataParallel, maxGradientNorm: 1f);
        int perReplica = data.Length / mesh.DataParallel.Size;
        for (int step = 0; step < perReplica; step++)
        {
            var seq = data[mesh.DataParallel.Rank * perReplica + step];
            using (StepBuffers.Enter())
            {
                var r = trainer.Step(() => model.Loss(seq[..^1], seq[1..], mesh.TensorParallel, training: true));
                if (mesh.World.Rank == 0 && step % 50 == 0) Console.WriteLine($"{step}: {r.Loss:F4}");
            }
        }
        TrainingCheckpoint.Save(checkpointDir, world.Rank, optimizer);
    }
}
