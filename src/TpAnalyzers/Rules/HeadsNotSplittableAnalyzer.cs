// TP0019 — attention heads the tensor-parallel degree cannot split.
// A layer whose split dimension is made of heads (OutputLayout = FeatureLayout.Qkv(32, 8, 128) on a column layer,
// InputLayout = FeatureLayout.Heads(32, 128) on a row layer) gives each rank whole heads: the degree must divide the
// query heads, and divide the key/value heads or, on a column layer, be a multiple of them (each KV head is then
// replicated on tp / kvHeads ranks, as vLLM's QKVParallelLinear does). A row layer cannot replicate: the replicated
// slices would be summed twice. With constant counts and a constant degree (as TP0014 finds it) the mismatch is known
// while typing; today it surfaces in ShardFrom on the cluster. The counts are recognised by where they go (the
// layout's arguments), not by their names.
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;
using TpCodegen.Roslyn;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HeadsNotSplittableAnalyzer : DegreeRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.HeadsNotSplittable);

    private protected override bool AppliesTo(KnownTypes types) => types.FeatureLayout is not null;

    private protected override void Register(CompilationStartAnalysisContext start, KnownTypes types, StatedDegrees degrees)
    {
        SourceOperationActions.RegisterOperationAction(start, c => Analyze(c, types, degrees), OperationKind.Invocation);
        SourceOperationActions.RegisterOperationAction(start, c => AnalyzeConstruction(c, types, degrees), OperationKind.ObjectCreation);
    }

    private static void Analyze(SourceOperationContext context, KnownTypes types, StatedDegrees degrees)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (Counts(invocation, types) is not { } counts || LayerOf(invocation, types) is not { } layer) return;
        var module = layer.Member.ContainingType;
        foreach (var (parameter, kind, replicableSegment) in counts)
        {
            if (Calls.Argument(invocation, parameter) is not { Value.ConstantValue: { HasValue: true, Value: int heads } } argument) continue;
            // Named head constants are TP0014's (it reports them where they are declared).
            if (Operations.Unwrap(argument.Value) is IFieldReferenceOperation { Field: { IsConst: true } constant } && ShapeNotDivisibleAnalyzer.IsHeadConstant(constant, module)) continue;
            Check(context, degrees, layer, kind, replicableSegment, heads, argument.Value, $"{layer.Split.Name} layer '{layer.Member.Name}'");
        }
    }

    /// <summary>
    /// <c>new Attention(4096, 6, 6, 64)</c>: a constant head count the module's constructor hands to a layer's layout
    /// (<c>FeatureLayout.Qkv(heads, kvHeads, headDim)</c>), flagged where it is written.
    /// </summary>
    private static void AnalyzeConstruction(SourceOperationContext context, KnownTypes types, StatedDegrees degrees)
    {
        var construction = (IObjectCreationOperation)context.Operation;
        if (construction.Constructor is not { } constructor || construction.Type is not INamedTypeSymbol module || construction.Arguments.Length == 0) return;
        if (KnownTypes.Is(module, types.Linear) || !construction.Arguments.Any(a => a.Value.ConstantValue.HasValue)) return;
        foreach (var creation in LinearCreation.OfModule(module, context.Compilation, types))
        {
            foreach (var layout in creation.Creation.Initializer?.Initializers ?? ImmutableArray<IOperation>.Empty)
            {
                if (layout is not ISimpleAssignmentOperation { Value: IInvocationOperation invocation } ||
                    Counts(invocation, types) is not { } counts || LayerOf(invocation, types) is not { } layer)
                    continue;
                foreach (var (parameter, kind, replicableSegment) in counts)
                {
                    if (ShapeNotDivisibleAnalyzer.ConstructorParameter(Calls.Argument(invocation, parameter)?.Value, constructor, context.Compilation) is not { } given ||
                        Calls.ConstantArgument(construction.Arguments, given) is not { Value.ConstantValue.Value: int heads } written)
                        continue;
                    Check(context, degrees, layer, kind, replicableSegment, heads, written.Value, $"{layer.Split.Name} layer '{layer.Member.Name}' of '{module.Name}' (its '{given.Name}')");
                }
            }
        }
    }

    /// <summary>The head counts a FeatureLayout call takes: its parameter, how messages name the heads, and whether they may be replicated.</summary>
    private static (string Parameter, string Kind, bool Replicable)[]? Counts(IInvocationOperation invocation, KnownTypes types)
    {
        if (!KnownTypes.Is(invocation.TargetMethod.ContainingType, types.FeatureLayout)) return null;
        return invocation.TargetMethod.Name switch
        {
            "Heads" => new[] { ("heads", "query", false) },
            "KeyValueHeads" => new[] { ("kvHeads", "key/value", true) },
            "Qkv" => new[] { ("heads", "query", false), ("kvHeads", "key/value", true) },
            _ => null,
        };
    }

    private static void Check(
        SourceOperationContext context, StatedDegrees degrees, (ISymbol Member, SplitContract Split, bool ColumnLike) layer,
        string kind, bool replicableSegment, int heads, IOperation written, string display)
    {
        bool replicable = replicableSegment && layer.ColumnLike;
        if (heads < 1 || StatedDegrees.FirstRefused(degrees.For(layer.Member.ContainingType), d => HeadDegrees.Allows(heads, d, replicable)) is not int degree) return;
        string why = !replicableSegment ? ""
            : replicable ? ", nor replicated (tp must divide the key/value heads or be a multiple of them)"
            : ", and a row layer cannot replicate key/value heads (their slices would be summed twice)";
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.HeadsNotSplittable, written.Syntax.GetLocation(), display, kind, heads, degree, why, HeadDegrees.ValidText(heads, replicable)));
    }

    /// <summary>
    /// The [TensorParallel] layer whose split dimension this layout describes: <c>new Linear(...) { OutputLayout = ... }</c>
    /// on a column layer, <c>InputLayout</c> on a row layer, in a member initializer or a constructor assignment.
    /// </summary>
    private static (ISymbol Member, SplitContract Split, bool ColumnLike)? LayerOf(IOperation layout, KnownTypes types)
    {
        string? property = null;
        for (var node = layout.Parent; node is not null; node = node.Parent)
        {
            if (property is null && node is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } && target.Property.Name is "OutputLayout" or "InputLayout")
                property = target.Property.Name;
            foreach (var creation in LinearCreation.From(node, types))
            {
                if (TensorParallelAttributeReader.Find(creation.Member)?.Split is not { } split) return null;
                bool columnLike = split.Divides == DividedDimension.OutFeatures;
                return property == (columnLike ? "OutputLayout" : "InputLayout") ? (creation.Member, split, columnLike) : null;
            }
        }
        return null;
    }
}
