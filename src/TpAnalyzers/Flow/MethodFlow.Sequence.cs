using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>The walk's reading of sequence parallelism's values and of TpRuntime's norms and vocabulary-parallel loss.</summary>
internal sealed partial class MethodFlow
{
    /// <summary>
    /// How the origin of a method's own input begins ("the input 'x' of ..."): its placement is the one the method declares
    /// or is assumed, not one the walk saw made, and under sequence parallelism it may be a token shard (TP0024 reads it).
    /// </summary>
    internal const string InputOrigin = "the input '";

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

    /// <summary>
    /// A block helper's residual add, <c>x + Mlp.Forward(...)</c> with <c>x</c> a parameter and the other operand a partial
    /// sum, in a summary: the runtime adds only values of one placement, so the sum is whatever the caller's <c>x</c> is
    /// (its token shard stays one around a loop over blocks). The add itself is reported at the call, from
    /// <see cref="MethodSummary.Adds"/>. Null for any other operands.
    /// </summary>
    private static FlowValue? ResidualOfParameter(FlowValue left, FlowValue right)
    {
        if (left.Parameter >= 0 && !left.IsKnown && right.IsPartial) return left;
        if (right.Parameter >= 0 && !right.IsKnown && left.IsPartial) return right;
        return null;
    }

    /// <summary>
    /// <c>DTensor.FromLocal(x.Local, placement, group)</c>: another DTensor's block wrapped under a placement the factory
    /// is told, which moves nothing (TP0024 reads a replica told it is a token shard, pytorch #129355).
    /// </summary>
    private void Relabelled(IInvocationOperation invocation, FlowValue[] arguments, Layout declared)
    {
        if (declared == Layout.Unknown) return;
        for (int i = 0; i < arguments.Length; i++)
        {
            if (invocation.Arguments[i].Parameter?.Name == "local" && arguments[i].IsLocalView && arguments[i].Layout != Layout.Unknown)
                Record(new RelabelEvent(invocation, Unwrap(invocation.Arguments[i].Value), arguments[i], declared));
        }
    }

    /// <summary>
    /// Sequence parallelism's own moves: <c>x.GatherTokens()</c> all-gathers a token shard (its result holds the replica,
    /// read through <c>.Value</c>), <c>y.ReduceScatterTokens()</c> reduce-scatters a partial sum over the tokens. Null for
    /// any other DTensor method.
    /// </summary>
    private static FlowValue? TokenMove(IMethodSymbol method, FlowValue instance, int arguments)
    {
        if (arguments != 0) return null;
        return method.Name switch
        {
            "GatherTokens" => instance.IsKnown && instance.Layout == SequenceApis.TokenShard ? new FlowValue(Layout.Replicate, "the result of .GatherTokens()") : FlowValue.Unknown,
            "ReduceScatterTokens" => new FlowValue(SequenceApis.TokenShard, "the result of .ReduceScatterTokens()"),
            _ => null,
        };
    }
}
