using TpCodegen.Analyzers.Tests.Verifiers;
using Fix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.ConflictingTensorParallelOptionsAnalyzer, TpCodegen.Analyzers.CodeFixes.RemoveConflictingOptionCodeFix>;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.ConflictingTensorParallelOptionsAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class ConflictingTensorParallelOptionsTests
{
    private const string Usings = "using TpCodegen;\n";

    private const string GatherOnRow = "GatherOutput = true applies only to Column layers, and a Row layer's reduced output is already whole; remove it";
    private const string InputOnColumn = "InputIsParallel = false applies only to Row layers, and a Column layer always takes a replicated input; remove it";
    private const string ReduceOnColumn = "ReduceResults = false applies only to Row layers, and a Column layer makes no partial sums; remove it";
    private const string BiasOnPartial = "ReduceResults = false keeps the output a partial sum, but the layer has a bias and no SkipBiasAdd = true, so every rank adds the bias and the reduced output holds it tp times; set SkipBiasAdd = true or remove ReduceResults = false";

    [Fact]
    public Task Options_of_the_other_split_are_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Row, {|#0:GatherOutput = true|})] public Linear Down { get; } = new(8, 4, bias: false);
            [TensorParallel(Split.Column, {|#1:InputIsParallel = false|})] public Linear Up { get; } = new(4, 8);
            [TensorParallel(Split.Column, {|#2:ReduceResults = false|})] public Linear Gate { get; } = new(4, 8);
        }
        """,
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(0).WithArguments("Row", "Down", GatherOnRow),
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(1).WithArguments("Column", "Up", InputOnColumn),
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(2).WithArguments("Column", "Gate", ReduceOnColumn));

    [Fact]
    public Task Partial_row_output_with_a_bias_added_on_every_rank_is_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Row, {|#0:ReduceResults = false|})] public Linear Down { get; } = new(8, 4);
            [TensorParallel(Split.Row, {|#1:ReduceResults = false|})] public Linear Out { get; } = new(8, 4, bias: true);
            [TensorParallel(Split.Row, {|#2:ReduceResults = false|}, SkipBiasAdd = false)] public Linear Proj;

            public Block() => Proj = new Linear(8, 4, true);
        }
        """,
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(0).WithArguments("Row", "Down", BiasOnPartial),
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(1).WithArguments("Row", "Out", BiasOnPartial),
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(2).WithArguments("Row", "Proj", BiasOnPartial));

    [Fact]
    public Task Consistent_options_are_not_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block(bool withBias)
        {
            [TensorParallel(Split.Column, GatherOutput = true, SkipBiasAdd = true)] public Linear Up { get; } = new(4, 8);
            [TensorParallel(Split.Column, InputIsParallel = true, ReduceResults = true)] public Linear Gate { get; } = new(4, 8);
            [TensorParallel(Split.Row, InputIsParallel = false, GatherOutput = false)] public Linear Down { get; } = new(8, 4);
            [TensorParallel(Split.Row, ReduceResults = false, SkipBiasAdd = true)] public Linear Out { get; } = new(8, 4);
            [TensorParallel(Split.Row, ReduceResults = false)] public Linear NoBias { get; } = new(8, 4, bias: false);
            // The bias is not a constant: the rule does not guess.
            [TensorParallel(Split.Row, ReduceResults = false)] public Linear Maybe { get; } = new(8, 4, withBias);
        }
        """);

    [Fact]
    public Task Fix_removes_the_conflicting_option() => Fix.VerifyCodeFixAsync(Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Row, {|#0:GatherOutput = true|})] public Linear Down { get; } = new(8, 4);
            [TensorParallel(Split.Column, {|#1:ReduceResults = false|}, SkipBiasAdd = true)] public Linear Up { get; } = new(4, 8);
        }
        """,
        [
            Fix.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(0).WithArguments("Row", "Down", GatherOnRow),
            Fix.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(1).WithArguments("Column", "Up", ReduceOnColumn),
        ],
        Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(8, 4);
            [TensorParallel(Split.Column, SkipBiasAdd = true)] public Linear Up { get; } = new(4, 8);
        }
        """);
}
