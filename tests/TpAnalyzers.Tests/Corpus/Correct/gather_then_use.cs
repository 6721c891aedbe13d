using System;
using TpCodegen;

public sealed partial class InspectMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512, bias: false);
    public Action<DTensor>? OnHidden { get; set; }

    // The gathered activation feeds a monitoring hook; the row layer needs the shard back.
    public DTensor Forward(DTensor x)
    {
        var h = Ops.Gelu(Up.Forward(x));
        if (OnHidden is { } hook)
        {
            var full = h.Redistribute(Placement.Replicate);
            hook(full);
            Console.WriteLine($"hidden max {System.Numerics.Tensors.TensorPrimitives.Max(full.LocalSpan):F3}");
            return Down.Forward(full.Redistribute(Placement.Shard(-1)));
        }
        return Down.Forward(h);
    }
}
