using Microsoft.CodeAnalysis;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>The walk's reading of sequence parallelism's values and of TpRuntime's norms and vocabulary-parallel loss.</summary>
internal sealed partial class MethodFlow
{
    /// <summary>
    /// RmsNorm / LayerNorm.Forward and VocabParallelCrossEntropy.Loss: each consumes its input (a norm needs the whole
    /// value, the loss its logits), and a norm keeps a replica or a token shard. Null for any other method.
    /// </summary>
    private FlowValue? SequenceModel(IMethodSymbol method, IOperation input, FlowValue value, bool returnsDTensor)
    {
        if (SequenceApis.IsNormForward(method))
        {
            Record(new ConsumeEvent(input, value, new Consumer(ConsumerKind.NormLike, "'" + method.ContainingType.Name + ".Forward'", Layout.Unknown)));
            // In a summary a parameter passes through the norm as it came: a token shard or a replica stays one.
            if (returnsDTensor && value.Parameter >= 0 && !value.IsKnown) return value;
            bool kept = returnsDTensor && value.IsKnown && (value.Layout == Layout.Replicate || value.Layout == SequenceApis.TokenShard);
            return kept ? new FlowValue(value.Layout, "the result of '" + method.ContainingType.Name + ".Forward' on " + PlacementApis.Describe(value.Layout) + " input") : FlowValue.Unknown;
        }
        if (SequenceApis.IsVocabularyLoss(method))
        {
            Record(new ConsumeEvent(input, value, new Consumer(ConsumerKind.VocabularyLoss, "'VocabParallelCrossEntropy.Loss'", Layout.Unknown)));
            return returnsDTensor ? new FlowValue(Layout.Replicate, "the loss of 'VocabParallelCrossEntropy.Loss'") : FlowValue.Unknown;
        }
        return null;
    }

    /// <summary>
    /// An element-wise op on a token shard: the runtime adds or multiplies only values of one placement, so the result is
    /// a token shard as well. Where the other operand is known to be something else, the rules report the mismatch at the
    /// operator, and the walk goes on with the layout the code means (no second report downstream, and a loop that adds a
    /// block's output to the residual stream keeps the stream's layout). Null when neither operand is a token shard.
    /// </summary>
    private static FlowValue? TokenShardOperands(FlowValue left, FlowValue right)
    {
        if (left.IsKnown && left.Layout == SequenceApis.TokenShard) return left;
        if (right.IsKnown && right.Layout == SequenceApis.TokenShard) return right;
        return null;
    }
}
