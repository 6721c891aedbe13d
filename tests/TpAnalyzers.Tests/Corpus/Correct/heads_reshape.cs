using System;
using System.Numerics.Tensors;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class HeadAttn
{
    public const int Heads = 16;
    public const int KvHeads = 4;
    public const int Dim = 64;
    [TensorParallel(Split.Column)] public Linear Q { get; } = new(1024, Heads * Dim) { OutputLayout = FeatureLayout.Heads(Heads, Dim) };
    [TensorParallel(Split.Column)] public Linear K { get; } = new(1024, KvHeads * Dim) { OutputLayout = FeatureLayout.KeyValueHeads(KvHeads, Dim) };
    [TensorParallel(Split.Column, GatherOutput = true)] public Linear QFull { get; } = new(1024, Heads * Dim) { OutputLayout = FeatureLayout.Heads(Heads, Dim) };
    public Linear DenseQ { get; } = new(1024, Heads * Dim);

    public void Inspect(DTensor x, ProcessGroup tp)
    {
        var q = Q.Forward(x);
        var k = K.Forward(x);
        var local = Tensor.Reshape(q.Local, [q.Tokens, Heads / tp.Size, Dim]);
        var localKv = Tensor.Reshape(k.Local, [k.Tokens, Math.Max(1, KvHeads / tp.Size), Dim]);
        var gathered = q.Redistribute(Placement.Replicate);
        var all = Tensor.Reshape(gathered.Local, [gathered.Tokens, Heads, Dim]);
        var full = QFull.Forward(x);
        var all2 = Tensor.Reshape(full.Local, [full.Tokens, Heads, Dim]);
        var d = DenseQ.Forward(x);
        var all3 = Tensor.Reshape(d.Local, [d.Tokens, Heads, Dim]);
        var viaFull = Tensor.Reshape(q.FullTensor(), [q.Tokens, Heads, Dim]);
        var cache = new KvCache(4, 2048, Math.Max(1, KvHeads / tp.Size), Dim);
    }
}
