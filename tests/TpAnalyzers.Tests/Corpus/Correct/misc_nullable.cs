using System;
using System.Diagnostics;
using System.Linq;
using System.Numerics.Tensors;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class TiedLm(int vocab, int hidden, bool tie)
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(vocab, hidden);
    [TensorParallel(Split.Vocab)] public Linear? Head { get; } = tie ? null : new(hidden, vocab, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, 4 * hidden);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(4 * hidden, hidden);
    private readonly int _heads = 8;

    public int[] Next(int[] ids, ProcessGroup tp)
    {
        var x = Embed.Forward(ids, tp);
        x = x + Down.Forward(Ops.Gelu(Up.Forward(x)));
        var last = Ops.SelectRows(x, [ids.Length - 1]);
        var logits = Head?.Forward(last) ?? Embed.Logits(last);
        return VocabParallel.Argmax(logits);
    }

    public DTensor MeanLoss(int[] ids, int[] targets, DeviceMesh mesh)
    {
        var x = Embed.Forward(ids, mesh.TensorParallel);
        var logits = Head is { } head ? head.Forward(x) : Embed.Logits(x);
        var loss = VocabParallelCrossEntropy.Loss(logits, targets, vocab);
        // average the (replicated) loss value over data-parallel replicas for logging
        var value = loss.ToTensor().ToArray();
        mesh.DataParallel.AllReduce(value, ReduceOp.Average);
        if (mesh.World.Rank == 0) Console.WriteLine($"mean loss over replicas {value[0]:F4}");
        return loss;
    }
}

public sealed partial class LocalHeads
{
    private readonly int _headsHere;
    private const int Dim = 32;
    public LocalHeads(int heads, ProcessGroup tp)
    {
        Q = new Linear(256, heads * Dim) { OutputLayout = FeatureLayout.Heads(heads, Dim) };
        _headsHere = heads / tp.Size;
    }
    [TensorParallel(Split.Column)] public Linear Q { get; }

    public Tensor<float> PerHead(DTensor x)
    {
        var q = Q.Forward(x);
        return Tensor.Reshape(q.Local, [q.Tokens, _headsHere, Dim]);
    }
}
