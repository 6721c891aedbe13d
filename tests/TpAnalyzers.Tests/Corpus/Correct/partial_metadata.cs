using System;
using System.Diagnostics;
using TpCodegen;

public sealed partial class Meta
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);

    public DTensor Forward(DTensor x)
    {
        var p = Down.Forward(Ops.Silu(Up.Forward(x)));
        Debug.Assert(p.Placement is PartialPlacement, "expected a partial sum");
        Debug.Assert(p.Tokens == x.Tokens);
        if (p is null) throw new InvalidOperationException();
        Console.WriteLine($"down out: {p}");
        Console.WriteLine(p);
        var y = Ops.AllReduce(p);
        return y + x;
    }
}
