using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

/// <summary>TP0001 across methods: what a helper of the compilation returns, and where it sends what it is given.</summary>
public class PartialNeedsFullTensorHelpersTests
{
    private const string FromDownPartial = "the output of row layer 'DownPartial' with ReduceResults = false";

    [Fact]
    public Task Partial_returned_by_a_private_helper_is_flagged() => Verify.VerifyAsync(Modules.With("""
            private DTensor Mlp(DTensor x) => DownPartial.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));

            public DTensor Forward(DTensor x)
            {
                var h = Mlp(x);
                return Down.Forward(Next.Forward({|#0:h|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial + ", returned by 'Block.Mlp'", "column layer 'Next'"));

    [Fact]
    public Task Local_functions_are_helpers_too() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                DTensor Half(DTensor v) => DownPartial.Forward(Up.Forward(v));
                static DTensor Whole(DTensor v) => Ops.AllReduce(v);
                var y = Down.Forward(Next.Forward(Whole(Half(x))));
                return Down.Forward(Next.Forward({|#0:Half(y)|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("Half(y)", FromDownPartial + ", returned by 'Block.Half'", "column layer 'Next'"));

    [Fact]
    public Task Tuple_elements_a_helper_returns_are_followed_one_by_one() => Verify.VerifyAsync(Modules.With("""
            private (DTensor Out, int Tokens) Mlp(DTensor x) => (DownPartial.Forward(Up.Forward(x)), x.Tokens);

            private (DTensor Out, DTensor Skip) Reduced(DTensor x) => (Ops.AllReduce(DownPartial.Forward(Up.Forward(x))), x);

            public DTensor Forward(DTensor x)
            {
                var (h, _) = Mlp(x);
                var r = Mlp(x);
                var (whole, skip) = Reduced(x);
                var y = Down.Forward(Next.Forward(whole)) + Down.Forward(Next.Forward(skip));
                return y + Down.Forward(Next.Forward({|#0:h|})) + Down.Forward(Next.Forward({|#1:r.Out|})) + Down.Forward(Next.Forward({|#2:r.Item1|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial + ", returned by 'Block.Mlp'", "column layer 'Next'"),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(1).WithArguments("r.Out", FromDownPartial + ", returned by 'Block.Mlp'", "column layer 'Next'"),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(2).WithArguments("r.Item1", FromDownPartial + ", returned by 'Block.Mlp'", "column layer 'Next'"));

    [Fact]
    public Task An_awaited_async_helper_returns_what_it_returned() => Verify.VerifyAsync(Modules.With("""
            private async System.Threading.Tasks.Task<DTensor> MlpAsync(DTensor x)
            {
                await System.Threading.Tasks.Task.Yield();
                return DownPartial.Forward(Up.Forward(x));
            }

            public async System.Threading.Tasks.Task<DTensor> ForwardAsync(DTensor x)
            {
                var pending = MlpAsync(x);
                var whole = Ops.AllReduce(await MlpAsync(x));
                return Down.Forward(Next.Forward(whole)) + Down.Forward(Next.Forward({|#0:await pending|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("await pending", FromDownPartial + ", returned by 'Block.MlpAsync'", "column layer 'Next'"));

    [Fact]
    public Task Partial_passed_to_a_helper_that_feeds_a_column_layer_is_flagged() => Verify.VerifyAsync(Modules.With("""
            private DTensor Project(DTensor h) => Gate.Forward(h);

            public DTensor Forward(DTensor x)
            {
                var p = DownPartial.Forward(Up.Forward(x));
                return Down.Forward(Project({|#0:p|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("p", FromDownPartial, "column layer 'Gate' in 'Block.Project'"));

    [Fact]
    public Task Helpers_are_followed_through_each_other_and_other_classes() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var p = Helpers.Pass(DownPartial.Forward(Up.Forward(x)));
                return Down.Forward(Helpers.Activate({|#0:p|}, this));
            }
        }

        internal static class Helpers
        {
            public static DTensor Pass(DTensor h) => h;
            public static DTensor Activate(DTensor h, Block block) => Ops.Silu(Inner(h, block));
            private static DTensor Inner(DTensor h, Block block) => block.Up.Forward(h);
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("p", FromDownPartial, "column layer 'Up' in 'Helpers.Activate'"));

    [Theory]
    // A helper that reduces, or reduces before its layer.
    [InlineData("private DTensor Reduce(DTensor h) => Ops.AllReduce(h);", "return Gate.Forward(Reduce(DownPartial.Forward(Up.Forward(x))));")]
    [InlineData("private DTensor Project(DTensor h) => Gate.Forward(Ops.AllReduce(h));", "return Down.Forward(Project(DownPartial.Forward(Up.Forward(x))));")]
    // A helper that returns a full value.
    [InlineData("private DTensor Mlp(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));", "return Down.Forward(Next.Forward(Mlp(x)));")]
    // Recursion reads as unknown, and never loops.
    [InlineData("private DTensor Again(DTensor h, int n) => n == 0 ? h : Again(h, n - 1);", "return Down.Forward(Next.Forward(Again(Down.Forward(Up.Forward(x)), 3)));")]
    // A virtual helper may be overridden: its body is not the one that runs.
    [InlineData("protected virtual DTensor Project(DTensor h) => Gate.Forward(h);", "return Down.Forward(Project(DownPartial.Forward(Up.Forward(x))));")]
    public Task Helpers_that_keep_values_whole_are_not_flagged(string helper, string body) => Verify.VerifyAsync(Modules.With($$"""
            {{helper}}

            public DTensor Forward(DTensor x) { {{body}} }
        """));
}
