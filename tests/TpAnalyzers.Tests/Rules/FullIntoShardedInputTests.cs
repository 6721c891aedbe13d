using TpCodegen.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.FullIntoShardedInputAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.FullIntoShardedInputAnalyzer, TpCodegen.Analyzers.CodeFixes.FullIntoShardedInputCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public class FullIntoShardedInputTests
{
    private const string Input = "the input 'x' of the module's Forward, replicated unless Forward declares a [PlacementContract]";
    private static string Advice(string layer, string value) => $"set InputIsParallel = false on '{layer}' so it keeps its own slice, or pass {value}.Redistribute(Placement.Shard(-1))";

    // The diagnostic carries the row layer's attribute as an additional location (for the InputIsParallel fix);
    // the fix test below shows it is the right one.
    [Fact]
    public Task Module_input_into_row_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x) => Down.Forward({|#0:x|});
        """),
        Verify.Diagnostic(Descriptors.FullIntoShardedInput).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithLocation(0).WithArguments("x", Input, "row layer 'Down'", Advice("Down", "x")));

    [Fact]
    public Task Reduced_output_into_row_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var h = Down.Forward(Up.Forward(x));
                return Down.Forward({|#0:h|});
            }
        """),
        Verify.Diagnostic(Descriptors.FullIntoShardedInput).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithLocation(0).WithArguments("h", "the output of row layer 'Down'", "row layer 'Down'", Advice("Down", "h")));

    [Fact]
    public Task Replicated_into_sharded_contract_is_flagged() => Verify.VerifyAsync(Modules.With("""
            [PlacementContract(PlacementKind.ShardLast, PlacementKind.Replicate)]
            public DTensor OutProjection(DTensor x) => x;

            public DTensor Forward(DTensor x) => OutProjection({|#0:Proj.Forward(x)|});
        """),
        Verify.Diagnostic(Descriptors.FullIntoShardedInput).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithLocation(0).WithArguments("Proj.Forward(x)", "the output of dense layer 'Proj'", "'Block.OutProjection' ([PlacementContract] input ShardLast)", "pass Proj.Forward(x).Redistribute(Placement.Shard(-1))"));

    [Theory]
    [InlineData("public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));")]
    [InlineData("public DTensor Forward(DTensor x) => DownFull.Forward(x);")]
    [InlineData("public DTensor Forward(DTensor x) => Down.Forward(x.Redistribute(Placement.Shard(-1)));")]
    [InlineData("[PlacementContract(PlacementKind.ShardLast, PlacementKind.Replicate)] public DTensor Forward(DTensor x) => Down.Forward(x);")]
    [InlineData("public DTensor Apply(DTensor x) => Down.Forward(x);")]
    [InlineData("public DTensor Forward(DTensor x) { var h = x; h = Up.Forward(h); return Down.Forward(h); }")]
    public Task Sharded_or_unknown_inputs_are_not_flagged(string members) => Verify.VerifyAsync(Modules.With(members));

    [Fact]
    public async Task Fix_slices_the_input()
    {
        var test = new VerifyFix.Test
        {
            TestCode = Modules.With("""
                public DTensor Forward(DTensor x) => Down.Forward({|#0:Proj.Forward(x)|});
            """),
            FixedCode = Modules.With("""
                public DTensor Forward(DTensor x) => Down.Forward(Proj.Forward(x).Redistribute(Placement.Shard(-1)));
            """),
            CodeActionEquivalenceKey = "FullIntoShardedInputCodeFix.Slice",
            CodeActionIndex = 1,
        };
        test.ExpectedDiagnostics.Add(VerifyFix.Diagnostic(Descriptors.FullIntoShardedInput).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithLocation(0).WithArguments("Proj.Forward(x)", "the output of dense layer 'Proj'", "row layer 'Down'", Advice("Down", "Proj.Forward(x)")));
        await test.RunAsync();
    }

    [Fact]
    public async Task Fix_sets_InputIsParallel_false_on_the_row_layer()
    {
        var test = new VerifyFix.Test
        {
            TestCode = """
                using TpCodegen;

                public partial class Block
                {
                    [TensorParallel(Split.Row)] public Linear Down { get; } = new(64, 64);
                    [TensorParallel(Split.Row, InputIsParallel = true)] public Linear Other { get; } = new(64, 64);

                    public DTensor Forward(DTensor x) => Down.Forward({|#0:x|}) + Other.Forward({|#1:x|});
                }
                """,
            FixedCode = """
                using TpCodegen;

                public partial class Block
                {
                    [TensorParallel(Split.Row, InputIsParallel = false)] public Linear Down { get; } = new(64, 64);
                    [TensorParallel(Split.Row, InputIsParallel = false)] public Linear Other { get; } = new(64, 64);

                    public DTensor Forward(DTensor x) => Down.Forward(x) + Other.Forward(x);
                }
                """,
            CodeActionEquivalenceKey = "FullIntoShardedInputCodeFix.InputIsParallel",
            CodeActionIndex = 0,
        };
        test.ExpectedDiagnostics.Add(VerifyFix.Diagnostic(Descriptors.FullIntoShardedInput).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithLocation(0).WithArguments("x", Input, "row layer 'Down'", Advice("Down", "x")));
        test.ExpectedDiagnostics.Add(VerifyFix.Diagnostic(Descriptors.FullIntoShardedInput).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithLocation(1).WithArguments("x", Input, "row layer 'Other'", Advice("Other", "x")));
        await test.RunAsync();
    }
}
