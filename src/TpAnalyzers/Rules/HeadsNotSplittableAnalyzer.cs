// TP0019 — attention heads the tensor-parallel degree cannot split.
// A layer whose split dimension is made of heads (OutputLayout = FeatureLayout.Qkv(32, 8, 128) on a column layer,
// InputLayout = FeatureLayout.Heads(32, 128) on a row layer) gives each rank whole heads: the degree must divide the
// query heads, and divide the key/value heads or, on a column layer, be a multiple of them (each KV head is then
// replicated on tp / kvHeads ranks, as vLLM's QKVParallelLinear does). A row layer cannot replicate: the replicated
// slices would be summed twice. With constant counts and a constant degree (as TP0014 finds it) the mismatch is known
// while typing; today it surfaces in ShardFrom on the cluster. The counts are recognised by where they go (the
// layout's arguments), not by their names.
using System.Collections.Immutable;
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

    private protected override void Register(CompilationStartAnalysisContext start, KnownTypes types, StatedDegrees degrees) =>
        start.RegisterOperationAction(c => Analyze(c, types, degrees), OperationKind.Invocation);

    private static void Analyze(OperationAnalysisContext context, KnownTypes types, StatedDegrees degrees)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!KnownTypes.Is(method.ContainingType, types.FeatureLayout)) return;
        var counts = method.Name switch
        {
            "Heads" => new[] { ("heads", "query", false) },
            "KeyValueHeads" => new[] { ("kvHeads", "key/value", true) },
            "Qkv" => new[] { ("heads", "query", false), ("kvHeads", "key/value", true) },
            _ => null,
        };
        if (counts is null || LayerOf(invocation, types) is not { } layer) return;
        var module = layer.Member.ContainingType;
        foreach (var (parameter, kind, replicableSegment) in counts)
        {
            if (Calls.Argument(invocation, parameter) is not { Value.ConstantValue: { HasValue: true, Value: int heads } } argument || heads < 1) continue;
            // Named head constants are TP0014's (it reports them where they are declared).
            if (Operations.Unwrap(argument.Value) is IFieldReferenceOperation { Field: { IsConst: true } constant } && ShapeNotDivisibleAnalyzer.IsHeadConstant(constant, module)) continue;
            bool replicable = replicableSegment && layer.ColumnLike;
            if (StatedDegrees.FirstRefused(degrees.For(module), d => HeadDegrees.Allows(heads, d, replicable)) is not int degree) continue;
            string why = !replicableSegment ? ""
                : replicable ? ", nor replicated (tp must divide the key/value heads or be a multiple of them)"
                : ", and a row layer cannot replicate key/value heads (their slices would be summed twice)";
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.HeadsNotSplittable,
                argument.Value.Syntax.GetLocation(),
                $"{layer.Split.Name} layer '{layer.Member.Name}'",
                kind,
                heads,
                degree,
                why,
                HeadDegrees.ValidText(heads, replicable)));
        }
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
