namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>A fused q|k|v projection: the column split takes each rank's heads from each segment.</summary>
public partial class FusedQkvModule(int hidden, int heads, int kvHeads, int headDim)
{
    [TensorParallel(Split.Column)]
    public Linear Qkv { get; } = new(hidden, (heads + 2 * kvHeads) * headDim) { OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) };

    public DTensor Forward(DTensor x) => Qkv.Forward(x);
}

/// <summary>An output projection whose input is attention heads: the row split takes whole heads.</summary>
public partial class HeadRowModule(int heads, int headDim, int hidden)
{
    [TensorParallel(Split.Row)]
    public Linear O { get; } = new(heads * headDim, hidden) { InputLayout = FeatureLayout.Heads(heads, headDim) };

    public DTensor Forward(DTensor x) => O.Forward(x);
}

/// <summary>A fused gate|up projection.</summary>
public partial class FusedGateUpModule(int hidden, int intermediate)
{
    [TensorParallel(Split.Column)]
    public Linear GateUp { get; } = new(hidden, 2 * intermediate) { OutputLayout = FeatureLayout.Fused(("gate", intermediate), ("up", intermediate)) };

    public DTensor Forward(DTensor x) => GateUp.Forward(x);
}
