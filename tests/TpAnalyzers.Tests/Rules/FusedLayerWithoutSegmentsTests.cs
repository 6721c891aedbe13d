using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.FusedLayerWithoutSegmentsAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.FusedLayerWithoutSegmentsAnalyzer, TpCodegen.Analyzers.CodeFixes.SegmentLayoutCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class FusedLayerWithoutSegmentsTests
{
    private const string Usings = "using TpCodegen;\n";

    [Fact]
    public Task Fused_column_layers_without_a_layout_are_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block(int hidden, int heads, int kvHeads, int headDim, int intermediate)
        {
            [TensorParallel(Split.Column)] public Linear Qkv { get; } = new(hidden, {|#0:(heads + 2 * kvHeads) * headDim|});
            [TensorParallel(Split.Column)] public Linear GateUp;

            public Block(int hidden, int intermediate) : this(hidden, 8, 2, 64, intermediate) => GateUp = new Linear(hidden, {|#1:intermediate + intermediate|});
        }
        """,
        Verify.Diagnostic(Descriptors.FusedLayerWithoutSegments).WithLocation(0).WithArguments("Qkv", "'(heads + 2 * kvHeads) * headDim'"),
        Verify.Diagnostic(Descriptors.FusedLayerWithoutSegments).WithLocation(1).WithArguments("GateUp", "'intermediate + intermediate'"));

    [Fact]
    public Task Layers_with_a_layout_plain_sizes_rows_and_dense_layers_are_not_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Block(int hidden, int heads, int kvHeads, int headDim, int intermediate)
        {
            [TensorParallel(Split.Column)]
            public Linear Qkv { get; } = new(hidden, (heads + 2 * kvHeads) * headDim) { OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) };
            [TensorParallel(Split.Column)]
            public Linear GateUp { get; } = new(hidden, intermediate + intermediate) { OutputLayout = FeatureLayout.Fused(("gate", intermediate), ("up", intermediate)) };
            [TensorParallel(Split.Column)] public Linear Fc { get; } = new(hidden, 4 * hidden);
            [TensorParallel(Split.Row)] public Linear Out { get; } = new(heads * headDim + 0, hidden);
            public Linear Dense { get; } = new(hidden, hidden + hidden);
        }
        """);

    [Fact]
    public Task Fix_gives_a_fused_qkv_its_segments() => VerifyFix.VerifyCodeFixAsync(Usings + """
        public partial class Block(int hidden, int heads, int kvHeads, int headDim)
        {
            [TensorParallel(Split.Column)] public Linear Qkv { get; } = new(hidden, {|#0:(heads + 2 * kvHeads) * headDim|});
            [TensorParallel(Split.Column)] public Linear Kqv { get; } = new(hidden, {|#1:(heads + kvHeads * 2) * headDim|}) { InputLayout = FeatureLayout.Plain(hidden) };
        }
        """,
        [
            VerifyFix.Diagnostic(Descriptors.FusedLayerWithoutSegments).WithLocation(0).WithArguments("Qkv", "'(heads + 2 * kvHeads) * headDim'"),
            VerifyFix.Diagnostic(Descriptors.FusedLayerWithoutSegments).WithLocation(1).WithArguments("Kqv", "'(heads + kvHeads * 2) * headDim'"),
        ],
        Usings + """
        public partial class Block(int hidden, int heads, int kvHeads, int headDim)
        {
            [TensorParallel(Split.Column)] public Linear Qkv { get; } = new(hidden, (heads + 2 * kvHeads) * headDim) { OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) };
            [TensorParallel(Split.Column)] public Linear Kqv { get; } = new(hidden, (heads + kvHeads * 2) * headDim) { InputLayout = FeatureLayout.Plain(hidden), OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) };
        }
        """);

    [Fact]
    public Task Fix_names_the_segments_of_another_fusion() => VerifyFix.VerifyCodeFixAsync(Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Column)] public Linear GateUp { get; } = new(64, {|#0:Ffn + Ffn|});
            [TensorParallel(Split.Column)] public Linear Fc;

            private const int Ffn = 256;

            public Block() => Fc = new Linear(64, ({|#1:64 + 128 + 32|}));
        }
        """,
        [
            VerifyFix.Diagnostic(Descriptors.FusedLayerWithoutSegments).WithLocation(0).WithArguments("GateUp", "'Ffn + Ffn'"),
            VerifyFix.Diagnostic(Descriptors.FusedLayerWithoutSegments).WithLocation(1).WithArguments("Fc", "'64 + 128 + 32'"),
        ],
        Usings + """
        public partial class Block
        {
            [TensorParallel(Split.Column)] public Linear GateUp { get; } = new(64, Ffn + Ffn) { OutputLayout = FeatureLayout.Fused(("gate", Ffn), ("up", Ffn)) };
            [TensorParallel(Split.Column)] public Linear Fc;

            private const int Ffn = 256;

            public Block() => Fc = new Linear(64, (64 + 128 + 32)) { OutputLayout = FeatureLayout.Fused(("part1", 64), ("part2", 128), ("part3", 32)) };
        }
        """);
}
