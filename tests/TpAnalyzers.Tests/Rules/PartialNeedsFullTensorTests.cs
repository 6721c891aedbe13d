using TpCodegen.Analyzers.Tests.Verifiers;
using TpCodegen.Analyzers.CodeFixes;
using TpCodegen.Analyzers.Rules;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer, TpCodegen.Analyzers.CodeFixes.WrapInAllReduceCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public class PartialNeedsFullTensorTests
{
    private const string FromDownPartial = "the output of row layer 'DownPartial' with ReduceResults = false";

    [Fact]
    public Task Partial_into_column_layer_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = DownPartial.Forward(Up.Forward(x));
                return Down.Forward(Gate.Forward({|#0:h|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial, "column layer 'Gate'"));

    [Fact]
    public Task Partial_into_dense_layer_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x) => Proj.Forward({|#0:DownPartial.Forward(Up.Forward(x))|});
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("DownPartial.Forward(Up.Forward(x))", FromDownPartial, "dense layer 'Proj'"));

    [Fact]
    public Task Partial_into_activation_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                DTensor y = DownPartial.Forward(Up.Forward(x));
                return Ops.AllReduce(Ops.Silu({|#0:y|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("y", FromDownPartial, "Ops.Silu"));

    [Fact]
    public Task Partial_into_norm_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x) => RmsNorm({|#0:DownPartial.Forward(Up.Forward(x))|});
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("DownPartial.Forward(Up.Forward(x))", FromDownPartial, "'RmsNorm'"));

    [Fact]
    public Task Partial_times_anything_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var p = DownPartial.Forward(Up.Forward(x));
                return Ops.AllReduce({|#0:p|} * p2(x));
            }
            private DTensor p2(DTensor x) => x;
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("p", FromDownPartial, "the product '*'"));

    [Fact]
    public Task Partial_returned_from_forward_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
                return {|#0:y|};
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("y", FromDownPartial, "the result of Block.Forward (unless it declares [PlacementContract(..., PlacementKind.PartialSum)])"));

    [Fact]
    public Task Partial_contract_output_into_column_is_flagged() => Verify.VerifyAsync(Modules.With("""
            [PlacementContract(PlacementKind.ShardLast, PlacementKind.PartialSum)]
            public DTensor Attention(DTensor x) => x;

            public DTensor Forward(DTensor x) => Down.Forward(Gate.Forward({|#0:Attention(Up.Forward(x))|}));
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("Attention(Up.Forward(x))", "the output of 'Block.Attention'", "column layer 'Gate'"));

    [Fact]
    public Task Llama_mlp_is_clean() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
        """));

    [Theory]
    [InlineData("return Gate.Forward(Ops.AllReduce(DownPartial.Forward(Up.Forward(x))));")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); return Ops.AllReduce(p + DownPartial.Forward(Gate.Forward(x)));")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); return Gate.Forward(p.Redistribute(Placement.Replicate));")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); p = Ops.AllReduce(p); return Gate.Forward(p);")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); for (int i = 0; i < 2; i++) p = Ops.AllReduce(p); return p;")]
    [InlineData("Linear local = Gate; return local.Forward(DownPartial.Forward(Up.Forward(x)));")]
    [InlineData("return Down.Forward(Ops.Gelu(Up.Forward(x)));")]
    public Task Reduced_or_unknown_values_are_not_flagged(string body) => Verify.VerifyAsync(Modules.With($$"""
            public DTensor Forward(DTensor x) { {{body}} }
        """));

    [Fact]
    public Task Partial_returned_under_a_partial_contract_is_not_flagged() => Verify.VerifyAsync(Modules.With("""
            [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
            public DTensor Forward(DTensor x) => DownPartial.Forward(Up.Forward(x));
        """));

    [Fact]
    public Task Without_tpruntime_types_nothing_is_registered() => Verify.VerifyAsync("""
        class Linear { public object Forward(object x) => x; }
        class M { Linear Gate = new(); object Forward(object x) => Gate.Forward(x); }
        """);

    [Fact]
    public Task Fix_wraps_the_partial_in_all_reduce() => VerifyFix.VerifyCodeFixAsync(
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = DownPartial.Forward(Up.Forward(x));
                var a = Gate.Forward({|#0:h|});
                return Down.Forward(Ops.Silu(a) * Next.Forward({|#1:h|}));
            }
        """),
        [
            VerifyFix.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial, "column layer 'Gate'"),
            VerifyFix.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(1).WithArguments("h", FromDownPartial, "column layer 'Next'"),
        ],
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = DownPartial.Forward(Up.Forward(x));
                var a = Gate.Forward(Ops.AllReduce(h));
                return Down.Forward(Ops.Silu(a) * Next.Forward(Ops.AllReduce(h)));
            }
        """));
}
