using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.HeadsNotSplittableAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class HeadsNotSplittableTests
{
    private const string Usings = "using TpCodegen;\nusing TpCodegen.Collectives;\n";

    [Fact]
    public Task Query_and_key_value_heads_the_degree_cannot_split_are_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Attention
        {
            private const int TpDegree = 4;
            private const int Dim = 64;

            [TensorParallel(Split.Column)]
            public Linear Qkv { get; } = new(2048, (6 + 2 * 6) * 64) { OutputLayout = FeatureLayout.Qkv({|#0:6|}, {|#1:6|}, Dim) };

            [TensorParallel(Split.Row)]
            public Linear O { get; } = new(6 * 64, 2048) { InputLayout = FeatureLayout.Heads({|#2:6|}, Dim) };

            [TensorParallel(Split.Row)]
            public Linear Odd { get; } = new(2 * 64, 2048) { InputLayout = FeatureLayout.KeyValueHeads({|#3:2|}, Dim) };
        }
        """,
        Verify.Diagnostic(Descriptors.HeadsNotSplittable).WithLocation(0)
            .WithArguments("Column layer 'Qkv'", "query", 6, 4, "", "1, 2, 3, 6"),
        Verify.Diagnostic(Descriptors.HeadsNotSplittable).WithLocation(1)
            .WithArguments("Column layer 'Qkv'", "key/value", 6, 4, ", nor replicated (tp must divide the key/value heads or be a multiple of them)", "1, 2, 3, 6, 12, 18, 24, 30, ..."),
        Verify.Diagnostic(Descriptors.HeadsNotSplittable).WithLocation(2)
            .WithArguments("Row layer 'O'", "query", 6, 4, "", "1, 2, 3, 6"),
        Verify.Diagnostic(Descriptors.HeadsNotSplittable).WithLocation(3)
            .WithArguments("Row layer 'Odd'", "key/value", 2, 4, ", and a row layer cannot replicate key/value heads (their slices would be summed twice)", "1, 2"));

    [Fact]
    public Task Constant_head_counts_handed_to_a_module_constructor_are_flagged_where_written() => Verify.VerifyAsync(Usings + """
        public partial class Attention(int hidden, int heads, int kvHeads, int headDim)
        {
            [TensorParallel(Split.Column)]
            public Linear Qkv { get; } = new(hidden, (heads + 2 * kvHeads) * headDim) { OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) };
        }

        static class Models
        {
            static DeviceMesh Mesh(ProcessGroup world) => DeviceMesh.Create(world, 1, 4);

            static object[] Make() =>
            [
                new Attention(4096, 32, 8, 128),
                new Attention(4096, 32, 2, 128),
                new Attention(4096, {|#0:6|}, 2, 64),
            ];
        }
        """,
        Verify.Diagnostic(Descriptors.HeadsNotSplittable).WithLocation(0)
            .WithArguments("Column layer 'Qkv' of 'Attention' (its 'heads')", "query", 6, 4, "", "1, 2, 3, 6"));

    [Fact]
    public Task Message_names_the_layer_the_heads_and_the_valid_degrees() => Verify.VerifyAsync(Usings + """
        public partial class Attention
        {
            public const int TensorParallelDegree = 3;

            [TensorParallel(Split.Column)]
            public Linear Q { get; } = new(2048, 2048) { OutputLayout = FeatureLayout.Heads({|#0:32|}, 64) };
        }
        """,
        new Microsoft.CodeAnalysis.Testing.DiagnosticResult(Descriptors.HeadsNotSplittable).WithLocation(0)
            .WithMessage("Column layer 'Q': query 32 heads cannot be split by tp=3, since a head is never cut; valid tp: 1, 2, 4, 8, 16, 32"));

    [Fact]
    public Task Splittable_replicated_unknown_or_unsplit_heads_are_not_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Attention(int heads)
        {
            private const int TpDegree = 8;
            private const int NumHeads = 6;

            // 32 query heads split 4 per rank; 4 KV heads: 8 is a multiple, each KV head on 2 ranks.
            [TensorParallel(Split.Column)]
            public Linear Qkv { get; } = new(2048, (32 + 2 * 4) * 64) { OutputLayout = FeatureLayout.Qkv(32, 4, 64) };

            // Not constants.
            [TensorParallel(Split.Row)]
            public Linear O { get; } = new(2048, 2048) { InputLayout = FeatureLayout.Heads(heads, 64) };

            // A column layer's InputLayout is not split; nor is a dense layer's.
            [TensorParallel(Split.Column)]
            public Linear Up { get; } = new(6 * 64, 2048) { InputLayout = FeatureLayout.Heads(6, 64) };
            public Linear Dense { get; } = new(2048, 6 * 64) { OutputLayout = FeatureLayout.Heads(6, 64) };

            // A named head constant is TP0014's, where it is declared.
            [TensorParallel(Split.Column)]
            public Linear Named { get; } = new(2048, NumHeads * 64) { OutputLayout = FeatureLayout.Heads(NumHeads, 64) };

            // A layout outside any layer.
            private static readonly FeatureLayout Loose = FeatureLayout.Heads(6, 64);
        }

        // No degree stated for this compilation's other module either: nothing to check against.
        """);
}
