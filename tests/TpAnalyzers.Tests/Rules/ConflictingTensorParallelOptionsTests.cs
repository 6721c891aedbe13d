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
    private const string SkipOnGather = "SkipBiasAdd = true hands back this rank's slice of the bias (out / tp), but GatherOutput = true gathers the output in full, so the slice cannot be added to it; remove SkipBiasAdd or GatherOutput";

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
    public Task Partial_row_output_with_a_bias_is_not_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block
        {
            // The generated shard adds the bias on rank 0 only: the later reduce adds it exactly once.
            [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(8, 4);
            [TensorParallel(Split.Row, ReduceResults = false)] public Linear Out { get; } = new(8, 4, bias: true);
            [TensorParallel(Split.Row, ReduceResults = false, SkipBiasAdd = false)] public Linear Proj;

            public Block() => Proj = new Linear(8, 4, true);
        }
        """);

    [Fact]
    public Task Column_that_gathers_its_output_and_skips_its_bias_is_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Column, GatherOutput = true, {|#0:SkipBiasAdd = true|})] public Linear Up { get; } = new(4, 8);
            [TensorParallel(Split.Column, {|#1:SkipBiasAdd = true|}, GatherOutput = true)] public readonly Linear Gate = new(4, 8, bias: false);
        }
        """,
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(0).WithArguments("Column", "Up", SkipOnGather),
        Verify.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(1).WithArguments("Column", "Gate", SkipOnGather));

    [Fact]
    public Task Consistent_options_are_not_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block(bool withBias)
        {
            [TensorParallel(Split.Column, GatherOutput = true, SkipBiasAdd = false)] public Linear Up { get; } = new(4, 8);
            [TensorParallel(Split.Column, GatherOutput = false, SkipBiasAdd = true)] public Linear Qkv { get; } = new(4, 8);
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

    [Fact]
    public Task Fix_removes_skip_bias_add_from_a_gathering_column() => Fix.VerifyCodeFixAsync(Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Column, GatherOutput = true, {|#0:SkipBiasAdd = true|})] public Linear Up { get; } = new(4, 8);
        }
        """,
        [Fix.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(0).WithArguments("Column", "Up", SkipOnGather)],
        Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Column, GatherOutput = true)] public Linear Up { get; } = new(4, 8);
        }
        """,
        codeActionIndex: 0, equivalenceKey: "RemoveConflictingOptionCodeFix");

    [Fact]
    public Task Fix_can_remove_gather_output_instead() => Fix.VerifyCodeFixAsync(Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Column, GatherOutput = true, {|#0:SkipBiasAdd = true|})] public Linear Up { get; } = new(4, 8);
        }
        """,
        [Fix.Diagnostic(Descriptors.ConflictingTensorParallelOptions).WithLocation(0).WithArguments("Column", "Up", SkipOnGather)],
        Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Column, SkipBiasAdd = true)] public Linear Up { get; } = new(4, 8);
        }
        """,
        codeActionIndex: 1, equivalenceKey: "RemoveConflictingOptionCodeFix.Other");
}
