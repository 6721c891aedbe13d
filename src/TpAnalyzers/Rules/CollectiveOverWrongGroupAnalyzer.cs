// TP0016 — a collective, or a sharding call, over a group other than the tensor-parallel one.
// A tensor-parallel layer's shards and partial sums live on its tensor-parallel group. Reducing its output over the
// data-parallel group or the world combines ranks that hold other batches or other replicas; sharding a module
// (ShardFrom, or any parameter named tp/tpGroup/tensorParallel) over the data-parallel group, or over the world when
// a mesh with data-parallel replicas exists, cuts each layer into the wrong number of pieces. The numbers come out
// wrong or the shapes fail; this rule points at the group argument instead.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CollectiveOverWrongGroupAnalyzer : InvocationRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CollectiveOverWrongGroup);

    private protected override void AnalyzeInvocation(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types)
    {
        AnalyzeReduction(context, invocation, types);
        AnalyzeShardingCall(context, invocation, types);
    }

    /// <summary><c>mesh.DataParallel.AllReduce(Down.Forward(x).LocalSpan)</c>: a layer's output over the wrong group.</summary>
    private static void AnalyzeReduction(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        string? bufferParameter = types.IsGroupMethod(method, "AllReduce") ? "buffer"
            : types.IsGroupMethod(method, "ReduceScatter") || types.IsGroupMethod(method, "AllGather") ? "send"
            : null;
        if (bufferParameter is null || invocation.Instance is not { } group || Calls.Argument(invocation, bufferParameter) is not { } buffer) return;
        var role = types.ClassifyGroup(group);
        if (role is not (GroupRole.DataParallel or GroupRole.World)) return;
        foreach (var link in Operations.Chain(buffer.Value))
        {
            if (link is not IInvocationOperation call || types.TensorParallelForwardOf(call) is not { } layer) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CollectiveOverWrongGroup,
                group.Syntax.GetLocation(),
                Calls.Name(invocation),
                "'" + Operations.Text(group.Syntax) + "'",
                KnownTypes.Describe(role),
                $"its buffer is the output of tensor-parallel layer '{layer}', which lives on the tensor-parallel group"));
            return;
        }
    }

    /// <summary><c>Mlp.ShardFrom(dense, mesh.DataParallel)</c>: a module split over the wrong ranks.</summary>
    private static void AnalyzeShardingCall(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types)
    {
        bool shardingMethod = invocation.TargetMethod.Name.StartsWith("ShardFrom", System.StringComparison.Ordinal) ||
                              invocation.TargetMethod.Name.StartsWith("Parallelize", System.StringComparison.Ordinal);
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not { } parameter || !KnownTypes.IsOrDerives(parameter.Type, types.ProcessGroup)) continue;
            if (!shardingMethod && !Names.IsTensorParallel(parameter.Name)) continue;
            var role = types.ClassifyGroup(argument.Value);
            string? why = role switch
            {
                GroupRole.DataParallel => "the module would be split over ranks that see different batches instead of the ranks that share one",
                GroupRole.World when HasDataParallelMesh(invocation, argument.Value, types) =>
                    "the mesh has data-parallel replicas, so splitting over every rank cuts each layer into dp * tp pieces instead of tp",
                _ => null,
            };
            if (why is null) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CollectiveOverWrongGroup,
                argument.Value.Syntax.GetLocation(),
                Calls.Name(invocation),
                "'" + Operations.Text(argument.Value.Syntax) + "'",
                KnownTypes.Describe(role),
                why));
        }
    }

    /// <summary>
    /// True when the world is one of a mesh's groups (<c>mesh.World</c>) or the method builds a mesh whose dp is not
    /// the constant 1: then the world and the tensor-parallel group differ. A bare world with no mesh in sight may
    /// well be one tensor-parallel group, so it passes.
    /// </summary>
    private static bool HasDataParallelMesh(IOperation invocation, IOperation world, KnownTypes types)
    {
        if (types.DeviceMesh is null) return false;
        bool fromMesh = Operations.Unwrap(world) is IPropertyReferenceOperation property &&
                        SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, types.DeviceMesh);
        foreach (var operation in Operations.Root(invocation).Descendants())
        {
            if (operation is not IInvocationOperation { TargetMethod.Name: "Create" } create ||
                !SymbolEqualityComparer.Default.Equals(create.TargetMethod.ContainingType, types.DeviceMesh))
                continue;
            var dp = Calls.Argument(create, "dataParallel");
            if (dp?.Value.ConstantValue is { HasValue: true, Value: 1 }) return false;
            return true;
        }
        return fromMesh;
    }
}
