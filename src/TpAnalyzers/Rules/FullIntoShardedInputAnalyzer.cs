// TP0004 catches a replicated value (the module's input, a reduced or gathered value, a dense layer's output) fed to
// a row layer that expects its input sharded (InputIsParallel = true, the default) or to a method whose
// [PlacementContract] takes ShardLast. The row shard multiplies in/tp input features and gets all of them: a shape
// mismatch at run time, or, with the wrong slice, wrong numbers.
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FullIntoShardedInputAnalyzer : PlacementRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.FullIntoShardedInput);

    private protected override void Check(FlowEvent e, in BodyReporter report)
    {
        if (e is not ConsumeEvent consume || !consume.Value.IsKnown || consume.Value.Layout != Layout.Replicate || consume.Consumer.Required != Layout.ShardLast) return;
        var value = Text(consume.Argument);
        var layer = consume.Consumer.Layer;
        var fix = layer is not null
            ? "set InputIsParallel = false on '" + layer.Name + "' so it keeps its own slice, or pass " + CallOn(value, ".Redistribute(Placement.Shard(-1))")
            : "pass " + CallOn(value, ".Redistribute(Placement.Shard(-1))");
        // The attribute to edit travels with the diagnostic so the fix can offer InputIsParallel = false.
        var attribute = layer?.Attribute;
        var additional = attribute is null ? null : new[] { Location.Create(attribute.SyntaxTree, attribute.Span) };
        report.Report(Diagnostic.Create(Descriptors.FullIntoShardedInput, consume.Argument.Syntax.GetLocation(), additional, value, consume.Value.Origin, consume.Consumer.Display, fix));
    }
}
