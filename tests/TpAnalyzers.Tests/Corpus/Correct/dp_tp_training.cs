using System;
using System.IO;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class TinyMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256);
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(1000, 256);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(256, 1000, bias: false);
    public RmsNorm Norm { get; } = new(256);

    public DTensor Loss(int[] ids, int[] targets, ProcessGroup tp)
    {
        var x = Embed.Forward(ids, tp);
        x = x + Down.Forward(Ops.Gelu(Up.Forward(Norm.Forward(x))));
        return VocabParallelCrossEntropy.Loss(Head.Forward(x), targets, 1000);
    }

    public ParameterSet Parameters() => new ParameterSet()
        .Add("up", LayerParameters.Of(Up))
        .Add("down", LayerParameters.Of(Down))
        .Add("embed", LayerParameters.Of(Embed))
        .Add("head", LayerParameters.Of(Head))
        .Add("norm", LayerParameters.Of(Norm));
}

public static class TrainLoop
{
    public static void Main(string[] args) => Launcher.Run(4, world =>
    {
        using var mesh = DeviceMesh.Create(world, dataParallel: 2, tensorParallel: 2);
        var tp = mesh.TensorParallel;
        var dp = mesh.DataParallel;
        var model = new TinyMlp();
        var parameters = model.Parameters();
        var optimizer = new AdamW(parameters, learningRate: 3e-4f);
        int[][] dataset = LoadTokens("train.bin");
        int globalBatch = 64;
        int microBatch = globalBatch / dp.Size;
        int perReplica = dataset.Length / dp.Size;
        var mine = dataset.Skip(dp.Rank * perReplica).Take(perReplica).ToArray();
        for (int step = 0; step < 100; step++)
        {
            var sample = mine[(step * microBatch) % mine.Length];
            using (var tape = Tape.Start())
            {
                var loss = model.Loss(sample[..^1], sample[1..], tp);
                loss.Backward();
            }
            DataParallelGradients.Average(parameters, dp);
            float norm = GradientClipping.ClipByGlobalNorm(parameters, 1f, tp);
            optimizer.Step();
            parameters.ZeroGrad();
            if (world.Rank == 0 && step % 10 == 0)
                Console.WriteLine($"step {step} grad norm {norm:F3} tokens/step {globalBatch * sample.Length}");
        }
        if (dp.Rank == 0)
            TrainingCheckpoint.Save("ckpt", tp.Rank, optimizer);
        world.Barrier();
    });

    private static int[][] LoadTokens(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return Enumerable.Range(0, bytes.Length / 64).Select(i => bytes.Skip(i * 64).Take(64).Select(b => (int)b).ToArray()).ToArray();
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"could not read {path}: {e.Message}");
            return [];
        }
    }
}
