using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class Lm
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(32003, 512);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512);
    public RmsNorm Norm { get; } = new(512);

    public DTensor Hidden(ReadOnlySpan<int> ids, ProcessGroup tp)
    {
        var x = Embed.Forward(ids, tp);
        return Norm.Forward(x + Down.Forward(Ops.Silu(Up.Forward(x))));
    }

    public DTensor Loss(int[] ids, int[] targets, ProcessGroup tp) =>
        VocabParallelCrossEntropy.Loss(Embed.Logits(Hidden(ids, tp)), targets, Embed.Vocabulary, labelSmoothing: 0.1f);

    public int[] Sample(int[] ids, ProcessGroup tp, ulong seed)
    {
        var h = Hidden(ids, tp);
        var last = Ops.SelectRows(h, [ids.Length - 1]);
        var logits = Embed.Logits(last);
        var options = new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.95f, Seed = seed };
        return VocabParallel.Sample(logits, options, [ids.Length]);
    }
}

public static class LmTrain
{
    public static void Run(ProcessGroup world, int[][] documents, int tensorParallel)
    {
        using var mesh = DeviceMesh.Create(world, world.Size / tensorParallel, tensorParallel);
        var dp = mesh.DataParallel;
        var model = new Lm();
        var ps = new ParameterSet().Add("embed", LayerParameters.Of(model.Embed)).Add("up", LayerParameters.Of(model.Up)).Add("down", LayerParameters.Of(model.Down));
        var trainer = new Trainer(new AdamW(ps), mesh.TensorParallel, dp);
        var mine = documents.Where((_, i) => i % dp.Size == dp.Rank).ToList();
        int tokensPerReplica = mine.Sum(d => d.Length);
        foreach (var doc in mine)
        {
            var result = trainer.Step(() => model.Loss(doc[..^1], doc[1..], mesh.TensorParallel));
            if (world.Rank == 0) Console.WriteLine($"loss {result.Loss:F3} norm {result.GradientNorm:F2}");
        }
        var lossBuf = new float[] { tokensPerReplica };
        dp.AllReduce(lossBuf);
        if (world.Rank == 0) Console.WriteLine($"{lossBuf[0]} tokens seen");
    }
}
