using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.GlobalHeadsOnShardAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.GlobalHeadsOnShardAnalyzer, TpCodegen.Analyzers.CodeFixes.LocalHeadCountCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class GlobalHeadsOnShardTests
{
    private const string Attention = """
        using System.Numerics.Tensors;
        using TpCodegen;

        public partial class Attention
        {
            private const int Heads = 8;
            private const int Dim = 16;

            [TensorParallel(Split.Column)] public Linear Q { get; } = new(128, Heads * Dim) { OutputLayout = FeatureLayout.Heads(Heads, Dim) };
            [TensorParallel(Split.Column, GatherOutput = true)] public Linear K { get; } = new(128, Heads * Dim) { OutputLayout = FeatureLayout.Heads(Heads, Dim) };
            [TensorParallel(Split.Row)] public Linear O { get; } = new(Heads * Dim, 128) { InputLayout = FeatureLayout.Heads(Heads, Dim) };
            public Linear Dense { get; } = new(128, Heads * Dim);

            public DTensor Forward(DTensor x)
            {
        """;

    private const string End = """

                return O.Forward(Q.Forward(x));
            }
        }
        """;

    private const string FromQ = "the output of column layer 'Q'";

    [Fact]
    public Task Shard_reshaped_into_the_global_head_count_is_flagged() => Verify.VerifyAsync(Attention + """
                var q = Q.Forward(x);
                var a = Tensor.Reshape(q.Local, [q.Tokens, {|#0:Heads|}, Dim]);
                var b = Tensor.Reshape(Q.Forward(x).Local, new nint[] { q.Tokens, {|#1:8|}, Dim });
        """ + End,
        Verify.Diagnostic(Descriptors.GlobalHeadsOnShard).WithLocation(0)
            .WithArguments("Tensor.Reshape(q.Local, [q.Tokens, Heads, Dim])", "q", FromQ, "8", "Heads"),
        Verify.Diagnostic(Descriptors.GlobalHeadsOnShard).WithLocation(1)
            .WithArguments("Tensor.Reshape(Q.Forward(x).Local, new nint[] { q.Tokens,...", "Q.Forward(x)", FromQ, "8", "8"));

    [Fact]
    public Task A_helper_that_splits_heads_is_checked_at_the_call() => Verify.VerifyAsync(Attention.Replace("public DTensor Forward(DTensor x)", """
            private static Tensor<float> SplitHeads(Tensor<float> t, int tokens, int heads) => Tensor.Reshape(t, [tokens, heads, Dim]);
            private static Tensor<float> Prepare(Tensor<float> t, int tokens, int heads) => SplitHeads(t, tokens, heads);

            public DTensor Forward(DTensor x)
        """) + """
                var q = Q.Forward(x);
                var a = SplitHeads(q.Local, q.Tokens, {|#0:Heads|});
                var b = Prepare(heads: {|#1:8|}, t: q.Local, tokens: q.Tokens);
                // The rank's own count, a gathered output, and a tensor that is no shard.
                var c = SplitHeads(q.Local, q.Tokens, q.LocalFeatures / Dim);
                var d = SplitHeads(K.Forward(x).Local, x.Tokens, Heads);
                var e = Prepare(Tensor.Create<float>([4, Heads * Dim]), 4, Heads);
        """ + End,
        Verify.Diagnostic(Descriptors.GlobalHeadsOnShard).WithLocation(0)
            .WithArguments("SplitHeads(q.Local, q.Tokens, Heads)", "q", FromQ, "8", "Heads"),
        Verify.Diagnostic(Descriptors.GlobalHeadsOnShard).WithLocation(1)
            .WithArguments("Prepare(heads: 8, t: q.Local, tokens: q.Tokens)", "q", FromQ, "8", "8"));

    [Fact]
    public Task Local_counts_gathered_or_dense_outputs_are_not_flagged() => Verify.VerifyAsync(Attention + """
                var q = Q.Forward(x);
                // The rank's own count.
                var a = Tensor.Reshape(q.Local, [q.Tokens, q.LocalFeatures / Dim, Dim]);
                var b = Tensor.Reshape(q.Local, [q.Tokens, Heads / x.Group.Size, Dim]);
                // A gathered output and a dense one hold every head.
                var c = Tensor.Reshape(K.Forward(x).Local, [x.Tokens, Heads, Dim]);
                var d = Tensor.Reshape(Dense.Forward(x).Local, [x.Tokens, Heads, Dim]);
        """ + End);

    [Fact]
    public Task Fix_reads_the_rank_head_count_from_the_shard() => VerifyFix.VerifyCodeFixAsync(Attention + """
                var q = Q.Forward(x);
                var a = Tensor.Reshape(q.Local, [q.Tokens, {|#0:Heads|}, Dim]);
                var b = Tensor.Reshape(q.Local, new nint[] { q.Tokens, {|#1:8|}, Dim });
        """ + End,
        [
            VerifyFix.Diagnostic(Descriptors.GlobalHeadsOnShard).WithLocation(0).WithArguments("Tensor.Reshape(q.Local, [q.Tokens, Heads, Dim])", "q", FromQ, "8", "Heads"),
            VerifyFix.Diagnostic(Descriptors.GlobalHeadsOnShard).WithLocation(1).WithArguments("Tensor.Reshape(q.Local, new nint[] { q.Tokens, 8, Dim })", "q", FromQ, "8", "8"),
        ],
        Attention + """
                var q = Q.Forward(x);
                var a = Tensor.Reshape(q.Local, [q.Tokens, q.LocalFeatures / Dim, Dim]);
                var b = Tensor.Reshape(q.Local, new nint[] { q.Tokens, q.LocalFeatures / Dim, Dim });
        """ + End);
}
