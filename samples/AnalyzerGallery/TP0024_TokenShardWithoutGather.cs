using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0024: a sequence-parallel block that forgets the all-gather before its MLP and the reduce-scatter after it.</summary>
public sealed partial class SequenceParallelMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(2048, 512);

    [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
}

public sealed class SequenceParallelBlock
{
    public RmsNorm Norm { get; } = new(512);
    public SequenceParallelMlp Mlp { get; } = new();

    public DTensor Forward(DTensor embedded)
    {
        var x = embedded.Redistribute(Placement.Shard(-2));
        return x + Mlp.Forward(Norm.Forward(x));   // TP0024 twice: gather the tokens in, reduce-scatter the sum out
    }
}
