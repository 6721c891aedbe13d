using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0014: Llama-7B's intermediate size 11008 does not divide by a tensor-parallel degree of 3.</summary>
public partial class Llama7bMlpAtTp3
{
    private const int TpDegree = 3;

    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(4096, 11008, bias: false);   // TP0014
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(11008, 4096, bias: false);      // TP0014
}
