// TP0021 — vocabulary-parallel logits gathered in full.
// A Split.Vocab LM head leaves its logits split over the vocabulary: Shard(-1), padded to a multiple of the degree.
// Gathering them (logits.FullTensor(), .Redistribute(Placement.Replicate)) sends vocabulary x tokens floats to every
// rank, per decoding step, where VocabParallel.Argmax and Sample exchange one (value, id) pair per token and a
// vocab-parallel loss one scalar (gpt-neox #905). Followed through locals, paths and helpers like the other flow rules.
using System;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class VocabularyLogitsGatheredAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.VocabularyLogitsGathered);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is not RedistributeEvent { Target: Layout.Replicate } gather) return;
        var logits = gather.SourceValue;
        if (!logits.IsKnown || logits.Layout != Layout.ShardLast || logits.VocabularyOf is not { } layer) return;
        report.Report(Diagnostic.Create(Descriptors.VocabularyLogitsGathered, gather.Invocation.Syntax.GetLocation(), Text(gather.Invocation), layer, Cost(logits.Features)));
    }

    /// <summary>" (32000 floats, 128000 bytes per token)": what every rank receives, nearly all of it.</summary>
    private static string Cost(long? vocabulary) => vocabulary is { } v
        ? string.Format(CultureInfo.InvariantCulture, " ({0} floats, {1} bytes per token)", v, v * 4)
        : "";
}
