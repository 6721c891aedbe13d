using TpCodegen.Analyzers.Tests.Verifiers;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.ShardedIntoReplicatedInputAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.ShardedIntoReplicatedInputAnalyzer, TpCodegen.Analyzers.CodeFixes.GatherShardedInputCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public class ShardedIntoReplicatedInputTests
{
    private const string FromUp = "the output of column layer 'Up'";
    private static string Advice(string value) => $"gather it with {value}.Redistribute(Placement.Replicate), or set GatherOutput = true on the column layer that makes it";

    [Fact]
    public Task Column_into_column_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x) => Down.Forward(Next.Forward({|#0:Up.Forward(x)|}));
        """),
        Verify.Diagnostic(Descriptors.ShardedIntoReplicatedInput).WithLocation(0).WithArguments("Up.Forward(x)", FromUp, "column layer 'Next'", Advice("Up.Forward(x)")));

    [Fact]
    public Task Column_through_activation_into_dense_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = Ops.Silu(Up.Forward(x));
                return Proj.Forward({|#0:h|});
            }
        """),
        Verify.Diagnostic(Descriptors.ShardedIntoReplicatedInput).WithLocation(0).WithArguments("h", FromUp, "dense layer 'Proj'", Advice("h")));

    [Fact]
    public Task Shard_through_a_helper_into_a_helper_that_needs_a_replica_is_flagged() => Verify.VerifyAsync(Modules.With("""
            private static DTensor Pass(DTensor h) => h;
            private DTensor Project(DTensor h) => Proj.Forward(h);

            public DTensor Forward(DTensor x) => Project({|#0:Pass(Up.Forward(x))|});
        """),
        Verify.Diagnostic(Descriptors.ShardedIntoReplicatedInput).WithLocation(0).WithArguments(
            "Pass(Up.Forward(x))", FromUp, "dense layer 'Proj' in 'Block.Project'", Advice("Pass(Up.Forward(x))")));

    [Fact]
    public Task Column_into_replicated_contract_is_flagged() => Verify.VerifyAsync(Modules.With("""
            [PlacementContract(PlacementKind.Replicate, PlacementKind.Replicate)]
            public DTensor Attention(DTensor x) => x;

            public DTensor Forward(DTensor x) => Attention({|#0:Gate.Forward(x)|});
        """),
        Verify.Diagnostic(Descriptors.ShardedIntoReplicatedInput).WithLocation(0).WithArguments("Gate.Forward(x)", "the output of column layer 'Gate'", "'Block.Attention' ([PlacementContract] input Replicate)", Advice("Gate.Forward(x)")));

    [Theory]
    [InlineData("return Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));")]
    [InlineData("return Next.Forward(Up.Forward(x).Redistribute(Placement.Replicate));")]
    [InlineData("return Next.Forward(UpGathered.Forward(x));")]
    [InlineData("var h = Up.Forward(x); h = Down.Forward(h); return Next.Forward(h);")]
    [InlineData("var h = Up.Forward(x); if (x.Tokens > 1) h = Down.Forward(h); return Proj.Forward(h);")]
    [InlineData("return Proj.Forward(Helper(Up.Forward(x)));")]
    public Task Replicated_or_unknown_inputs_are_not_flagged(string body) => Verify.VerifyAsync(Modules.With($$"""
            public DTensor Forward(DTensor x) { {{body}} }
            // Virtual: an override may do anything, so what it returns is unknown.
            protected virtual DTensor Helper(DTensor x) => x;
        """));

    [Fact]
    public Task Fix_gathers_the_input_and_fixes_all() => VerifyFix.VerifyCodeFixAsync(
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = Up.Forward(x);
                return Down.Forward(Next.Forward({|#0:h|}) * Gate.Forward({|#1:Ops.Silu(h)|}));
            }
        """),
        [
            VerifyFix.Diagnostic(Descriptors.ShardedIntoReplicatedInput).WithLocation(0).WithArguments("h", FromUp, "column layer 'Next'", Advice("h")),
            VerifyFix.Diagnostic(Descriptors.ShardedIntoReplicatedInput).WithLocation(1).WithArguments("Ops.Silu(h)", FromUp, "column layer 'Gate'", Advice("Ops.Silu(h)")),
        ],
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = Up.Forward(x);
                return Down.Forward(Next.Forward(h.Redistribute(Placement.Replicate)) * Gate.Forward(Ops.Silu(h).Redistribute(Placement.Replicate)));
            }
        """));
}
