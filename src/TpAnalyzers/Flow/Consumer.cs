using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

internal enum ConsumerKind
{
    /// <summary>A Linear property or field's Forward; <see cref="Consumer.Layer"/> says which split.</summary>
    Layer,

    /// <summary>A method carrying [PlacementContract(input, output)].</summary>
    ContractMethod,

    /// <summary>Ops.Silu, Gelu, Relu: element-wise, keeps a shard or a replica, refuses a partial sum.</summary>
    Activation,

    /// <summary>A method whose name says norm or softmax: needs the whole value, not an addend.</summary>
    NormLike,

    /// <summary>A product '*' inside a called method: an addend times anything is not an addend of the product.</summary>
    Product,

    /// <summary>VocabParallelCrossEntropy.Loss: takes the vocabulary shards of a Split.Vocab head, or dense logits.</summary>
    VocabularyLoss,
}

/// <summary>Something that takes a DTensor activation and needs it in some placement.</summary>
/// <param name="Display">For messages: "column layer 'Gate'", "Ops.Silu", "'Attn.Forward' ([PlacementContract] input Replicate)".</param>
/// <param name="Required">The placement it takes; Unknown when it takes anything but a partial sum (activations, norms).</param>
/// <param name="Inner">Before <see cref="Via"/>: how the consumer is named inside the method that holds it.</param>
internal sealed record Consumer(ConsumerKind Kind, string Display, Layout Required, LayerInfo? Layer = null, string? Inner = null)
{
    /// <summary>
    /// The same consumer, reached by passing the value to <paramref name="callee"/>: "column layer 'Gate' in 'Block.FeedGate'".
    /// Through several calls the outermost is named, the one the caller wrote.
    /// </summary>
    public Consumer Via(string callee) => this with { Display = (Inner ?? Display) + " in '" + callee + "'", Inner = Inner ?? Display };

    /// <summary>True when feeding it an unreduced partial sum is wrong: everything but a consumer declared to take one.</summary>
    public bool RejectsPartial => Required != Layout.PartialSum;
}
