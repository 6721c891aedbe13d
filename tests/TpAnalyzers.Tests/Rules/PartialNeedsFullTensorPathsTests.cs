using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.PartialNeedsFullTensorAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

/// <summary>TP0001 where paths meet and around loops: partial on any path is partial, to a fixed point.</summary>
public class PartialNeedsFullTensorPathsTests
{
    private const string FromDownPartial = "the output of row layer 'DownPartial' with ReduceResults = false";

    [Fact]
    public Task Ternary_with_one_partial_arm_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x, bool reduce)
            {
                var h = reduce ? Down.Forward(Up.Forward(x)) : DownPartial.Forward(Up.Forward(x));
                return Down.Forward(Gate.Forward({|#0:h|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial, "column layer 'Gate'"));

    [Fact]
    public Task If_else_with_one_partial_branch_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                DTensor h;
                if (x.Tokens > 1) h = Down.Forward(Up.Forward(x));
                else h = DownPartial.Forward(Up.Forward(x));
                return Down.Forward(Gate.Forward({|#0:h|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial, "column layer 'Gate'"));

    [Fact]
    public Task Reduce_on_one_side_of_an_if_only_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var p = DownPartial.Forward(Up.Forward(x));
                if (x.Tokens > 1) p = Ops.AllReduce(p);
                return {|#0:p|};
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("p", FromDownPartial, "the result of Block.Forward (unless it declares [PlacementContract(..., PlacementKind.PartialSum)])"));

    [Fact]
    public Task Switch_with_one_partial_section_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x, int mode)
            {
                DTensor h;
                switch (mode)
                {
                    case 0:
                        h = Down.Forward(Up.Forward(x));
                        break;
                    default:
                        h = DownPartial.Forward(Up.Forward(x));
                        break;
                }
                var s = mode switch { 0 => Down.Forward(Up.Forward(x)), _ => DownPartial.Forward(Gate.Forward(x)) };
                return Down.Forward(Gate.Forward({|#0:h|})) + Down.Forward(Next.Forward({|#1:s|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial, "column layer 'Gate'"),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(1).WithArguments("s", FromDownPartial, "column layer 'Next'"));

    [Fact]
    public Task Coalesce_with_a_partial_fallback_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x, DTensor? cached)
            {
                var h = cached ?? DownPartial.Forward(Up.Forward(x));
                return Down.Forward(Gate.Forward({|#0:h|}));
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial, "column layer 'Gate'"));

    [Fact]
    public Task Value_partial_from_the_second_iteration_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = x;
                for (int layer = 0; layer < 4; layer++)
                {
                    var a = Gate.Forward({|#0:h|});
                    h = DownPartial.Forward(Ops.Silu(a));
                }
                return Ops.AllReduce(h);
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("h", FromDownPartial, "column layer 'Gate'"));

    [Fact]
    public Task Loop_that_may_not_run_leaves_the_partial_as_it_was() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x, int steps)
            {
                var p = DownPartial.Forward(Up.Forward(x));
                while (steps-- > 0) p = Ops.AllReduce(p);
                return {|#0:p|};
            }
        """),
        Verify.Diagnostic(Descriptors.PartialNeedsFullTensor).WithLocation(0).WithArguments("p", FromDownPartial, "the result of Block.Forward (unless it declares [PlacementContract(..., PlacementKind.PartialSum)])"));

    [Theory]
    // Both arms reduced.
    [InlineData("var h = x.Tokens > 1 ? Down.Forward(Up.Forward(x)) : Ops.AllReduce(DownPartial.Forward(Up.Forward(x))); return Gate.Forward(h);")]
    [InlineData("DTensor h; if (x.Tokens > 1) h = Down.Forward(Up.Forward(x)); else h = Ops.AllReduce(DownPartial.Forward(Up.Forward(x))); return Gate.Forward(h);")]
    // The partial path leaves early, reduced.
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); if (x.Tokens == 0) return Ops.AllReduce(p); p = Ops.AllReduce(p); return Gate.Forward(p);")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); if (x.Tokens == 0) throw new ArgumentException(\"x\"); else p = Ops.AllReduce(p); return p;")]
    // Every iteration reduces what it makes.
    [InlineData("var h = x; for (int i = 0; i < 4; i++) h = Ops.AllReduce(DownPartial.Forward(Ops.Silu(Gate.Forward(h)))); return h;")]
    [InlineData("var h = x; foreach (var n in new[] { 1, 2 }) { var y = DownPartial.Forward(Up.Forward(h)); h = Ops.AllReduce(y); } return h;")]
    // The loop surely runs, and leaves only reduced.
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); do { p = Ops.AllReduce(p); } while (p.Tokens < 0); return p;")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); while (true) { p = Ops.AllReduce(p); break; } return p;")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); for (int i = 0; i < 2; i++) { p = Ops.AllReduce(p); if (i == 0) break; } return p;")]
    // Reduced wherever there is more than one rank: with one rank the addend is the whole value.
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); if (x.Group.Size > 1) p = Ops.AllReduce(p); return Gate.Forward(p);")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); var q = x.Group.Size == 1 ? p : Ops.AllReduce(p); return Gate.Forward(q);")]
    // Every section reduces.
    [InlineData("DTensor h; switch (x.Tokens) { case 0: h = Down.Forward(Up.Forward(x)); break; default: h = Ops.AllReduce(DownPartial.Forward(Up.Forward(x))); break; } return Gate.Forward(h);")]
    [InlineData("var p = DownPartial.Forward(Up.Forward(x)); try { p = Ops.AllReduce(p); } catch (InvalidOperationException) { throw; } return p;")]
    public Task Paths_that_all_reduce_are_not_flagged(string body) => Verify.VerifyAsync(Modules.With($$"""
            public DTensor Forward(DTensor x) { {{body}} }
        """));
}
