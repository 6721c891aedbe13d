using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0017: [TensorParallel] in a class that is not partial: the generator cannot add the sharded code.</summary>
public class NotPartial
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);   // TP0017
}
