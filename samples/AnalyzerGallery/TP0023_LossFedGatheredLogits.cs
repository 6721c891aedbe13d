using TpCodegen;
using TpCodegen.Training;

namespace AnalyzerGallery;

/// <summary>TP0023: a vocabulary-parallel loss handed logits gathered in full instead of the head's shards.</summary>
public partial class LossOnGatheredLogits
{
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(512, 32001, bias: false);

    public DTensor Loss(DTensor hidden, int[] targets)
    {
        var logits = Head.Forward(hidden).Redistribute(Placement.Replicate);   // TP0021 as well: the gather itself
        return VocabParallelCrossEntropy.Loss(logits, targets, 32001);   // TP0023: pass Head.Forward(hidden), the shards
    }
}
