// TP0011 — a weight shard, or its gradient, reduced over the tensor-parallel group.
// Rank r of a tensor-parallel group holds slice r of each marked layer's weight. Summing or averaging those slices
// over that group adds numbers that belong to different columns (or rows) of the matrix: the weights are silently
// corrupted. Gradients of sharded weights are reduced only over the data-parallel group, whose ranks hold the same
// slice. Flags AllReduce/ReduceScatter over the tensor-parallel group of a buffer read from a [TensorParallel] layer
// (Gate.Weight, Gate.Shard..., a local initialised from them, a name with Weight/Grad/Bias) or from a shard object.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ShardReducedOverTensorParallelGroupAnalyzer : InvocationRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ShardReducedOverTensorParallelGroup);

    private protected override bool AppliesTo(KnownTypes types) => types.TensorParallelAttribute is not null;

    private protected override void AnalyzeInvocation(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        // An all-gather of shards is how a full weight is rebuilt (for a checkpoint): only reductions mix shards.
        string? bufferParameter = types.IsGroupMethod(method, "AllReduce") ? "buffer" : types.IsGroupMethod(method, "ReduceScatter") ? "send" : null;
        if (bufferParameter is null || Calls.Argument(invocation, bufferParameter) is not { } buffer) return;
        if (types.ClassifyGroup(invocation.Instance) != GroupRole.TensorParallel) return;
        if (ShardOwner(buffer.Value, types) is not { } layer) return;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.ShardReducedOverTensorParallelGroup,
            buffer.Value.Syntax.GetLocation(),
            Calls.Name(invocation),
            Operations.Text(buffer.Value.Syntax),
            layer,
            "'" + Operations.Text(invocation.Instance!.Syntax) + "'"));
    }

    /// <summary>
    /// The layer whose parameters a buffer reads, or null: its receiver chain reaches a [TensorParallel] member through
    /// a parameter-like name (Weight, Grad, Bias, ...) or a shard object, or reaches a shard object directly.
    /// </summary>
    private static string? ShardOwner(IOperation buffer, KnownTypes types)
    {
        bool parameterLike = false;
        foreach (var link in Operations.Chain(buffer))
        {
            // A layer's output is an activation, not a parameter: TP0016 and the placement rules own that case.
            if (link is IInvocationOperation call && types.TensorParallelForwardOf(call) is not null) return null;
            if (types.TensorParallelMemberOf(link) is { } member) return parameterLike ? member.Name : null;
            if (IsShardObject(link.Type, types))
                parameterLike = true;
            else if (Operations.ReferencedName(link) is { } name && IsParameterName(name))
                parameterLike = true;
        }
        // A shard reached without its module: name it as written.
        foreach (var link in Operations.Chain(buffer))
        {
            if (IsShardObject(link.Type, types) && link != Operations.Unwrap(buffer)) return Operations.Text(link.Syntax);
        }
        return null;
    }

    private static bool IsShardObject(ITypeSymbol? type, KnownTypes types) =>
        (types.ShardedLinear is not null && KnownTypes.IsOrDerives(type, types.ShardedLinear)) ||
        (types.LinearShard is not null && SymbolEqualityComparer.Default.Equals(type, types.LinearShard));

    private static bool IsParameterName(string name)
    {
        foreach (var word in Names.Words(name))
        {
            switch (word)
            {
                case "weight":
                case "weights":
                case "grad":
                case "grads":
                case "gradient":
                case "gradients":
                case "bias":
                case "param":
                case "params":
                case "parameters":
                    return true;
            }
        }
        return false;
    }
}
