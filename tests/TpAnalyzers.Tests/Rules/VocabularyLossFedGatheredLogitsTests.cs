using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.VocabularyLossFedGatheredLogitsAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.VocabularyLossFedGatheredLogitsAnalyzer, TpCodegen.Analyzers.CodeFixes.PassLogitShardCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class VocabularyLossFedGatheredLogitsTests
{
    private static string Model(string body) => $$"""
        using System;
        using TpCodegen;
        using TpCodegen.Training;

        public partial class LanguageModel
        {
            [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(64, 32001);
            [TensorParallel(Split.Column, GatherOutput = true)] public Linear GatheredHead { get; } = new(64, 32000);
            public Linear DenseHead { get; } = new(64, 32000);

            private DTensor Logits(DTensor h) => Head.Forward(h);
            private DTensor Full(DTensor h) => Head.Forward(h).Redistribute(Placement.Replicate);
            private static DTensor Cross(DTensor logits, int[] targets) => VocabParallelCrossEntropy.Loss(logits, targets, 32001);

            public DTensor Train(DTensor h, int[] targets, bool smooth)
            {
                {{body}}
            }
        }
        """;

    private const string Gathered = "the result of .Redistribute(Placement.Replicate)";
    private const string OfHead = ", the logits of vocab layer 'Head'";
    private const string PassShard = "pass the shard, the logits before '.Redistribute(Placement.Replicate)'";

    [Fact]
    public Task Gathered_logits_fed_to_the_loss_are_flagged() => Verify.VerifyAsync(Model("""
                var full = Head.Forward(h).Redistribute(Placement.Replicate);
                var a = VocabParallelCrossEntropy.Loss({|#0:full|}, targets, 32001);
                var b = VocabParallelCrossEntropy.Loss({|#1:Logits(h).Redistribute(Placement.Replicate)|}, targets, 32001, labelSmoothing: 0.1f);
                var c = VocabParallelCrossEntropy.Loss({|#2:GatheredHead.Forward(h)|}, targets, 32000);
                return a;
        """),
        Verify.Diagnostic(Descriptors.VocabularyLossFedGatheredLogits).WithLocation(0).WithArguments("full", Gathered, OfHead, PassShard),
        Verify.Diagnostic(Descriptors.VocabularyLossFedGatheredLogits).WithLocation(1).WithArguments("Logits(h).Redistribute(Placement.Replicate)", Gathered, OfHead, PassShard),
        Verify.Diagnostic(Descriptors.VocabularyLossFedGatheredLogits).WithLocation(2).WithArguments(
            "GatheredHead.Forward(h)", "the gathered output of column layer 'GatheredHead'", "",
            "set GatherOutput = false on that layer, or split it with Split.Vocab, and pass its shard"));

    [Fact]
    public Task Gathered_on_one_path_through_a_helper_and_a_ternary_is_flagged() => Verify.VerifyAsync(Model("""
                var logits = smooth ? Full(h) : Head.Forward(h).Redistribute(Placement.Replicate);
                return Cross({|#0:logits|}, targets);
        """),
        Verify.Diagnostic(Descriptors.VocabularyLossFedGatheredLogits).WithLocation(0).WithArguments(
            "logits", "the result of .Redistribute(Placement.Replicate), returned by 'LanguageModel.Full'", OfHead, PassShard));

    [Fact]
    public Task Shards_and_dense_logits_are_not_flagged() => Verify.VerifyAsync(Model("""
                var shard = Head.Forward(h);
                var a = VocabParallelCrossEntropy.Loss(shard, targets, 32001);
                var b = Cross(Logits(h), targets);
                var c = VocabParallelCrossEntropy.Loss(DenseHead.Forward(h), targets, 32000);
                var d = VocabParallelCrossEntropy.Loss(smooth ? shard : Logits(h), targets, 32001);
                for (int i = 0; i < 2; i++) shard = Head.Forward(h);
                return VocabParallelCrossEntropy.Loss(shard, targets, 32001);
        """));

    /// <summary>Only an inline gather is dropped: gathered logits in a local may have other readers.</summary>
    [Fact]
    public async Task Fix_passes_the_shard()
    {
        var test = new VerifyFix.Test
        {
            TestCode = Model("""
                var full = Head.Forward(h).Redistribute(Placement.Replicate);
                var kept = VocabParallelCrossEntropy.Loss({|#1:full|}, targets, 32001);
                return VocabParallelCrossEntropy.Loss({|#0:Head.Forward(h).Redistribute(Placement.Replicate)|}, targets, 32001);
        """),
            FixedCode = Model("""
                var full = Head.Forward(h).Redistribute(Placement.Replicate);
                var kept = VocabParallelCrossEntropy.Loss({|#1:full|}, targets, 32001);
                return VocabParallelCrossEntropy.Loss(Head.Forward(h), targets, 32001);
        """),
        };
        var kept = VerifyFix.Diagnostic(Descriptors.VocabularyLossFedGatheredLogits).WithLocation(1).WithArguments("full", Gathered, OfHead, PassShard);
        test.ExpectedDiagnostics.Add(VerifyFix.Diagnostic(Descriptors.VocabularyLossFedGatheredLogits).WithLocation(0)
            .WithArguments("Head.Forward(h).Redistribute(Placement.Replicate)", Gathered, OfHead, PassShard));
        test.ExpectedDiagnostics.Add(kept);
        test.FixedState.ExpectedDiagnostics.Add(kept);
        await test.RunAsync();
    }
}
