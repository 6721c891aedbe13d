using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.VocabularyLogitsGatheredAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.VocabularyLogitsGatheredAnalyzer, TpCodegen.Analyzers.CodeFixes.PassLogitShardCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class VocabularyLogitsGatheredTests
{
    private static string Model(string body) => $$"""
        using TpCodegen;

        public partial class LanguageModel
        {
            [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(64, 32000);
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);

            private DTensor Logits(DTensor h) => Head.Forward(h);

            public int[] Next(DTensor h)
            {
                {{body}}
            }
        }
        """;

    private const string Head = "vocab layer 'Head'";
    private const string Cost = " (32000 floats, 128000 bytes per token)";

    [Fact]
    public Task Logits_gathered_in_full_are_flagged() => Verify.VerifyAsync(Model("""
                var logits = Head.Forward(h);
                var full = {|#0:logits.FullTensor()|};
                var again = {|#1:Logits(h).Redistribute(Placement.Replicate)|};
                return VocabParallel.Argmax(logits);
        """),
        Verify.Diagnostic(Descriptors.VocabularyLogitsGathered).WithLocation(0).WithArguments("logits.FullTensor()", Head, Cost),
        Verify.Diagnostic(Descriptors.VocabularyLogitsGathered).WithLocation(1).WithArguments("Logits(h).Redistribute(Placement.Replicate)", Head, Cost));

    [Fact]
    public Task Vocab_parallel_picks_and_other_gathers_are_not_flagged() => Verify.VerifyAsync(Model("""
                var logits = Head.Forward(h);
                var hidden = Up.Forward(h).Redistribute(Placement.Replicate);
                var still = logits.Redistribute(Placement.Shard(-1));
                return VocabParallel.Argmax(logits);
        """));

    /// <summary>A gather handed straight to VocabParallel.Argmax is dropped; a gather read another way keeps its warning and gets no fix.</summary>
    [Fact]
    public async Task Fix_drops_a_gather_handed_to_a_vocab_parallel_pick()
    {
        var test = new VerifyFix.Test
        {
            TestCode = Model("""
                var full = {|#1:Head.Forward(h).Redistribute(Placement.Replicate)|};
                return VocabParallel.Argmax({|#0:Logits(h).Redistribute(Placement.Replicate)|});
        """),
            FixedCode = Model("""
                var full = {|#1:Head.Forward(h).Redistribute(Placement.Replicate)|};
                return VocabParallel.Argmax(Logits(h));
        """),
        };
        var kept = VerifyFix.Diagnostic(Descriptors.VocabularyLogitsGathered).WithLocation(1).WithArguments("Head.Forward(h).Redistribute(Placement.Replicate)", Head, Cost);
        test.ExpectedDiagnostics.Add(VerifyFix.Diagnostic(Descriptors.VocabularyLogitsGathered).WithLocation(0).WithArguments("Logits(h).Redistribute(Placement.Replicate)", Head, Cost));
        test.ExpectedDiagnostics.Add(kept);
        test.FixedState.ExpectedDiagnostics.Add(kept);
        await test.RunAsync();
    }
}
