using TpCodegen.Analyzers.Tests.Verifiers;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.PartialAddedBeforeReduceAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.PartialAddedBeforeReduceAnalyzer, TpCodegen.Analyzers.CodeFixes.ReduceBeforeAddCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public class PartialAddedBeforeReduceTests
{
    private const string FromDownPartial = "the output of row layer 'DownPartial' with ReduceResults = false";
    private const string Input = "the input 'x' of the module's Forward, replicated unless Forward declares a [PlacementContract]";

    [Fact]
    public Task Residual_added_to_partial_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
                return Ops.AllReduce({|#0:y + x|});
            }
        """),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments("y", FromDownPartial, "x", Input));

    [Fact]
    public Task An_embeddings_output_is_a_replica() => Verify.VerifyAsync(Modules.With("""
            [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(1000, 64);

            public DTensor Embedded(int[] ids, ProcessGroup group)
            {
                var x = Embed.Forward(ids, group);
                var y = DownPartial.Forward(Up.Forward(x));
                var wrong = {|#0:y + x|};
                return Ops.AllReduce(y) + x;
            }
        """).Replace("using TpCodegen;", "using TpCodegen;\nusing TpCodegen.Collectives;"),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments("y", FromDownPartial, "x", "the output of embedding 'Embed'"));

    [Fact]
    public Task Replicated_on_the_left_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var r = Proj.Forward(x);
                return Ops.AllReduce({|#0:r + DownPartial.Forward(Up.Forward(x))|});
            }
        """),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments("DownPartial.Forward(Up.Forward(x))", FromDownPartial, "r", "the output of dense layer 'Proj'"));

    [Fact]
    public Task Bias_added_to_a_hand_written_row_output_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var partial = DTensor.FromArray(new float[x.Tokens * 64], x.Tokens, 64, Placement.Partial(), x.Group);
                var bias = DTensor.FromArray(new float[x.Tokens * 64], x.Tokens, 64, Placement.Replicate, x.Group);
                return Ops.AllReduce({|#0:partial + bias|});
            }
        """),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments(
            "partial", "made by 'DTensor.FromArray' with Placement.PartialSum", "bias", "made by 'DTensor.FromArray' with Placement.Replicate"));

    [Fact]
    public Task Replica_handed_to_a_helper_that_adds_it_to_a_partial_sum_is_flagged() => Verify.VerifyAsync(Modules.With("""
            private DTensor Mlp(DTensor v) => DownPartial.Forward(Up.Forward(v));

            private DTensor Residual(DTensor v) => v + Mlp(v);

            public DTensor Forward(DTensor x)
            {
                DTensor Block(DTensor v) => Mlp(v) + v;
                var a = Residual({|#0:x|});
                var b = Block({|#1:x|});
                return Ops.AllReduce(a) + Ops.AllReduce(b);
            }
        """),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments(
            "Mlp(v)", FromDownPartial + ", returned by 'Block.Mlp'", "x", Input + ", added inside 'Block.Residual'"),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(1).WithArguments(
            "Mlp(v)", FromDownPartial + ", returned by 'Block.Mlp'", "x", Input + ", added inside 'Block.Block'"));

    [Fact]
    public Task Partial_handed_to_a_helper_that_adds_is_flagged() => Verify.VerifyAsync(Modules.With("""
            private static DTensor BiasDropoutAdd(DTensor h, DTensor residual) => h + residual;

            private DTensor AddBias(DTensor h) => h + DTensor.FromArray(new float[h.Tokens * 64], h.Tokens, 64, Placement.Replicate, h.Group);

            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                var a = BiasDropoutAdd({|#0:y|}, x);
                var b = AddBias({|#1:y|});
                return Ops.AllReduce(a) + Ops.AllReduce(b);
            }
        """),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments(
            "y", FromDownPartial, "x", Input + ", added inside 'Block.BiasDropoutAdd'"),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(1).WithArguments(
            "y", FromDownPartial, "DTensor.FromArray(new float[h.Tokens * 64], h.Tokens, 64,...", "made by 'DTensor.FromArray' with Placement.Replicate, added inside 'Block.AddBias'"));

    [Theory]
    // Reduced before the helper adds, or the helper given two partial sums (their sum is one).
    [InlineData("return BiasDropoutAdd(Ops.AllReduce(DownPartial.Forward(Up.Forward(x))), x);")]
    [InlineData("var y = DownPartial.Forward(Up.Forward(x)); return Ops.AllReduce(BiasDropoutAdd(y, DownPartial.Forward(Gate.Forward(x))));")]
    // A hand-written row output reduced, then biased.
    [InlineData("var p = DTensor.FromArray(new float[64], 1, 64, Placement.Partial(), x.Group); var b = DTensor.FromArray(new float[64], 1, 64, Placement.Replicate, x.Group); return Ops.AllReduce(p) + b;")]
    public Task Helpers_given_whole_values_are_not_flagged(string body) => Verify.VerifyAsync(Modules.With($$"""
            private static DTensor BiasDropoutAdd(DTensor h, DTensor residual) => h + residual;

            public DTensor Forward(DTensor x) { {{body}} }
        """));

    [Fact]
    public Task Compound_add_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                {|#0:y += x|};
                return Ops.AllReduce(y);
            }
        """),
        Verify.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments("y", FromDownPartial, "x", Input));

    [Theory]
    [InlineData("return Ops.AllReduce(DownPartial.Forward(Up.Forward(x))) + x;")]
    [InlineData("return Down.Forward(Up.Forward(x)) + x;")]
    [InlineData("return Ops.AllReduce(DownPartial.Forward(Up.Forward(x)) + DownPartial.Forward(Gate.Forward(x)));")]
    [InlineData("return Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x)) + x;")]
    [InlineData("var y = DownPartial.Forward(Up.Forward(x)); if (x.Tokens > 0) { y = Ops.AllReduce(y); } else { y = Ops.AllReduce(y); } return y + x;")]
    [InlineData("var y = DownPartial.Forward(Up.Forward(x)); for (int i = 0; i < 1; i++) y = Ops.AllReduce(y); return y + x;")]
    [InlineData("var y = DownPartial.Forward(Up.Forward(x)); return Ops.AllReduce(y + Helper(x));")]
    public Task Adds_after_the_reduce_or_of_unknown_values_are_not_flagged(string body) => Verify.VerifyAsync(Modules.With($$"""
            public DTensor Forward(DTensor x) { {{body}} }
            // Virtual: an override may do anything, so what it returns is unknown.
            protected virtual DTensor Helper(DTensor x) => x;
        """));

    [Fact]
    public Task Fix_reduces_before_the_add_and_fixes_all() => VerifyFix.VerifyCodeFixAsync(
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = {|#0:DownPartial.Forward(Up.Forward(x)) + x|};
                var z = {|#1:x + DownPartial.Forward(Gate.Forward(y))|};
                return z;
            }
        """),
        [
            VerifyFix.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments("DownPartial.Forward(Up.Forward(x))", FromDownPartial, "x", Input),
            VerifyFix.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(1).WithArguments("DownPartial.Forward(Gate.Forward(y))", FromDownPartial, "x", Input),
        ],
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = Ops.AllReduce(DownPartial.Forward(Up.Forward(x))) + x;
                var z = x + Ops.AllReduce(DownPartial.Forward(Gate.Forward(y)));
                return z;
            }
        """));

    [Fact]
    public Task Fix_rewrites_compound_add() => VerifyFix.VerifyCodeFixAsync(
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                {|#0:y += x|};
                return y;
            }
        """),
        [VerifyFix.Diagnostic(Descriptors.PartialAddedBeforeReduce).WithLocation(0).WithArguments("y", FromDownPartial, "x", Input)],
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                y = Ops.AllReduce(y) + x;
                return y;
            }
        """));
}
