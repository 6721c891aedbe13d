using TpCodegen;

namespace AnalyzerGallery;

/// <summary>TP0021: a vocabulary-parallel head's logits gathered in full to pick the next token.</summary>
public partial class GreedyByGathering
{
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(512, 32000, bias: false);

    public float FirstLogit(DTensor hidden)
    {
        var logits = Head.Forward(hidden);
        var full = logits.FullTensor();   // TP0021: VocabParallel.Argmax(logits) exchanges one (value, id) per token
        return full[0, 0];
    }
}
