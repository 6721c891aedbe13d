using System;
using System.Numerics.Tensors;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public enum Act { Gelu, Silu, Relu }

public sealed partial class ConfigurableMlp(Act act, float dropout, ulong seed)
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(768, 3072);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(3072, 768);
    private readonly DropoutRng _rng = new(seed);
    private static readonly Func<DTensor, DTensor> s_gelu = Ops.Gelu;

    private DTensor Activate(DTensor h) => act switch
    {
        Act.Gelu => s_gelu(h),
        Act.Silu => Ops.Silu(h),
        _ => Ops.Relu(h),
    };

    public DTensor Forward(DTensor x, int[] keep, bool training)
    {
        var h = Activate(Up.Forward(x));
        if (training) h = Dropout.Apply(h, dropout, _rng);
        var rows = Ops.SelectRows(h, keep);
        var y = Down.Forward(rows);
        return y;
    }

    public DTensor ForwardManual(DTensor x, ProcessGroup tp)
    {
        // Replicate -> Shard(-1) keeps this rank's columns: the row layer's input without a collective
        var sliced = x.Redistribute(Placement.Shard(-1));
        var local = Tensor.Create(sliced.LocalSpan.ToArray(), [sliced.Tokens, sliced.LocalFeatures]);
        var back = DTensor.FromLocal(local, Placement.Shard(-1), tp);
        return back.Tokens > 0 ? Down.Forward(Activate(Up.Forward(x))) : x;
    }
}
