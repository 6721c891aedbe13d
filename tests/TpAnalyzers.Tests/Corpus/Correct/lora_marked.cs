using System;
using TpCodegen;

// vLLM-style LoRA on a column layer: A replicated, B split like the base layer's columns.
public sealed partial class LoraColumn(int hidden, int ffn, int rank)
{
    [TensorParallel(Split.Column)] public Linear Base { get; } = new(hidden, ffn, bias: false);
    public Linear A { get; } = new(hidden, Math.Max(1, rank), bias: false);
    [TensorParallel(Split.Column)] public Linear B { get; } = new(Math.Max(1, rank), ffn, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(ffn, hidden, bias: false);

    public DTensor Forward(DTensor x)
    {
        var h = Base.Forward(x);
        if (rank > 0) h = h + B.Forward(A.Forward(x));
        return Down.Forward(Ops.Silu(h));
    }
}
