using System;
using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0009: a partial sum is read out and printed: each rank shows its own addend, not the value.</summary>
public partial class PartialPrinted
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(2048, 512);

    public DTensor Forward(DTensor x)
    {
        var y = Down.Forward(Up.Forward(x));
        Console.WriteLine(y.ToTensor());   // TP0009
        return Ops.AllReduce(y);
    }
}
