// TP0020 — the global head count used on a rank's shard.
// A column layer whose OutputLayout is made of heads (FeatureLayout.Heads(32, 128)) hands each rank [tokens, heads / tp
// * headDim]. Reshaping that local tensor with the model's head count (Tensor.Reshape(q.Local, [tokens, 32, 128])) is the
// single-GPU code left in place: it fails on the element count, or with an inferred dimension (-1) it silently mixes
// tokens and heads (transformers PR #45109, Megatron PR #6400). The head count is recognised by where it came from:
// the constant or the member the layer's layout was given.
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GlobalHeadsOnShardAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.GlobalHeadsOnShard);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is not ReshapeEvent reshape) return;
        report.Report(Diagnostic.Create(
            Descriptors.GlobalHeadsOnShard,
            reshape.Length.Syntax.GetLocation(),
            Text(reshape.Invocation),
            Text(reshape.Source is Microsoft.CodeAnalysis.Operations.IPropertyReferenceOperation { Instance: { } owner } ? owner : reshape.Source),
            reshape.SourceValue.Origin,
            reshape.Heads.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? reshape.Heads.Text,
            Text(reshape.Length)));
    }
}
