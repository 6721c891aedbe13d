// TP0023 — a vocabulary-parallel loss fed gathered logits (gpt-neox #905).
// VocabParallelCrossEntropy.Loss takes a Split.Vocab head's Shard(-1) logits and reduces them to a few floats per token
// on each rank. Gathered first (.Redistribute(Placement.Replicate), or a column head with GatherOutput = true), the
// logits cost vocabulary x tokens floats per rank, and a Vocab head's gathered logits keep its padding columns, which
// the loss rejects when tp does not divide the vocabulary. Dense logits (an unsplit head) are the loss's other input
// and are not flagged. Followed through locals, paths and helpers like the other flow rules.
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class VocabularyLossFedGatheredLogitsAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.VocabularyLossFedGatheredLogits);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is not ConsumeEvent { Consumer.Kind: ConsumerKind.VocabularyLoss } loss) return;
        var logits = loss.Value;
        if (!logits.IsKnown || logits.Layout != Layout.Replicate || logits.GatheredBy is null) return;
        string whose = logits.VocabularyOf is { } layer ? ", the logits of " + layer : "";
        string fix = logits.Origin.StartsWith("the gathered output of", StringComparison.Ordinal)
            ? "set GatherOutput = false on that layer, or split it with Split.Vocab, and pass its shard"
            : "pass the shard, the logits before " + logits.GatheredBy;
        report.Report(Diagnostic.Create(Descriptors.VocabularyLossFedGatheredLogits, loss.Argument.Syntax.GetLocation(), Text(loss.Argument), logits.Origin, whose, fix));
    }
}
