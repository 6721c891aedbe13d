using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0005: Up all-gathers its 11008 features and Down slices them again: a wasted all-gather each forward.</summary>
public partial class GatherThenSplit
{
    private const int Hidden = 4096;
    private const int Intermediate = 11008;

    [TensorParallel(Split.Column, GatherOutput = true)] public Linear Up { get; } = new(Hidden, Intermediate);
    [TensorParallel(Split.Row, InputIsParallel = false)] public Linear Down { get; } = new(Intermediate, Hidden);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));   // TP0005
}
