using TpCodegen.Analyzers.Tests.Verifiers;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.GatherThenSplitAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public class GatherThenSplitTests
{
    [Fact]
    public Task Gathered_column_into_row_without_parallel_input_is_flagged_with_its_cost() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x) => DownFull.Forward({|#0:UpGathered.Forward(x)|});
        """),
        Verify.Diagnostic(Descriptors.GatherThenSplit).WithLocation(0).WithArguments(
            "UpGathered.Forward(x)",
            "column layer 'UpGathered' (GatherOutput = true)",
            "row layer 'DownFull' (InputIsParallel = false)",
            " of 256 features: 1024 x (tp-1)/tp bytes per token and rank each forward, 512 at tp = 2"));

    [Fact]
    public Task Redistribute_replicate_then_shard_is_flagged() => Verify.VerifyAsync(Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var full = Ops.Silu(Up.Forward(x)).Redistribute(Placement.Replicate);
                return Down.Forward({|#0:full.Redistribute(Placement.Shard(-1))|});
            }
        """),
        Verify.Diagnostic(Descriptors.GatherThenSplit).WithLocation(0).WithArguments(
            "full", "'.Redistribute(Placement.Replicate)'", "'.Redistribute(Placement.Shard(-1))'",
            " of 256 features: 1024 x (tp-1)/tp bytes per token and rank each forward, 512 at tp = 2"));

    [Fact]
    public Task Unknown_width_gives_no_cost() => Verify.VerifyAsync("""
            using TpCodegen;

            public partial class Block(int hidden, int inner)
            {
                [TensorParallel(Split.Column, GatherOutput = true)] public Linear Up { get; } = new(hidden, inner);
                [TensorParallel(Split.Row, InputIsParallel = false)] public Linear Down { get; } = new(inner, hidden);

                public DTensor Forward(DTensor x) => Down.Forward({|#0:Up.Forward(x)|});
            }
            """,
        Verify.Diagnostic(Descriptors.GatherThenSplit).WithLocation(0).WithArguments(
            "Up.Forward(x)", "column layer 'Up' (GatherOutput = true)", "row layer 'Down' (InputIsParallel = false)", ""));

    [Theory]
    [InlineData("return Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));")]
    [InlineData("return DownFull.Forward(x);")]
    [InlineData("return DownFull.Forward(Down.Forward(Up.Forward(x)));")]
    [InlineData("return Next.Forward(UpGathered.Forward(x));")]
    [InlineData("return Down.Forward(x.Redistribute(Placement.Shard(-1)));")]
    [InlineData("var full = Up.Forward(x).Redistribute(Placement.Replicate); return Proj.Forward(full);")]
    // The gathered value is needed whole elsewhere too (a hook, a print): splitting it again for the row layer is no waste.
    [InlineData("var full = Up.Forward(x).Redistribute(Placement.Replicate); Console.WriteLine(full.ToTensor()); return Down.Forward(full.Redistribute(Placement.Shard(-1)));")]
    [InlineData("var full = UpGathered.Forward(x); Console.WriteLine(full.ToTensor()); return DownFull.Forward(full);")]
    public Task Gathers_that_are_used_whole_are_not_flagged(string body) => Verify.VerifyAsync(Modules.With($$"""
            public DTensor Forward(DTensor x) { {{body}} }
        """));
}
