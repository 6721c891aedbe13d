using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0018: GatherOutput on a row layer, whose output is already full after its all-reduce.</summary>
public partial class ConflictingOptions
{
    [TensorParallel(Split.Row, GatherOutput = true)] public Linear Down { get; } = new(2048, 512);   // TP0018
}
