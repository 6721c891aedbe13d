using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class FMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(256, 64);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear DownP { get; } = new(256, 64);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
    private DTensor Partial(DTensor x) => DownP.Forward(Ops.Silu(Up.Forward(x)));

    public DTensor Reduced(DTensor x) => Ops.AllReduce(Partial(x));
}

public static class Functional
{
    public static T Apply<T>(T x, Func<T, T> f) => f(x);
    public static DTensor Residual(DTensor x, Func<DTensor, DTensor> sublayer) => x + sublayer(x);

    public static DTensor Run(IReadOnlyList<FMlp> blocks, DTensor x, RmsNorm norm, bool useFast)
    {
        var h = blocks.Aggregate(x, (acc, b) => acc + b.Forward(norm.Forward(acc)));
        h = Residual(h, blocks[0].Forward);
        h = Residual(h, v => blocks[1].Reduced(norm.Forward(v)));
        h = Apply(h, v => v + blocks[0].Forward(v));
        var chosen = useFast ? blocks[0] : blocks[blocks.Count - 1];
        DTensor? cached = null;
        cached ??= chosen.Forward(h);
        var y = (cached ?? h) + h;
        DTensor Twice(DTensor v) { var once = chosen.Forward(v) + v; return chosen.Forward(once) + once; }
        return Twice(y);
    }

    public static IEnumerable<DTensor> Stream(IEnumerable<DTensor> inputs, FMlp block)
    {
        foreach (var x in inputs)
            yield return x + block.Forward(x);
    }
}
