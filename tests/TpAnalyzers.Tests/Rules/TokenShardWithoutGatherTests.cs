using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.TokenShardWithoutGatherAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.TokenShardWithoutGatherAnalyzer, TpCodegen.Analyzers.CodeFixes.TokenShardCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class TokenShardWithoutGatherTests
{
    /// <summary>A sequence-parallel model: an MLP whose Down keeps its partial sum, and a model that runs it on token shards.</summary>
    private static string Model(string body) => $$"""
        using TpCodegen;

        public sealed partial class SpMlp
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
            [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);

            [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
            public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
        }

        public sealed partial class SpModel
        {
            [TensorParallel(Split.Column)] public Linear Head { get; } = new(64, 256);
            public RmsNorm Norm { get; } = new(64);
            public SpMlp Mlp { get; } = new();
            private readonly SpMlp[] _blocks = [new(), new()];

            private DTensor Ffn(DTensor h) => Mlp.Forward(h);

            private DTensor Leaky(DTensor x)
            {
                var y = Mlp.Forward(Norm.Forward(x).Redistribute(Placement.Replicate));
                return x + y;
            }

            private DTensor Block(DTensor x) => x + Mlp.Forward(Norm.Forward(x).Redistribute(Placement.Replicate)).Redistribute(Placement.Shard(-2));

            public DTensor Forward(DTensor embedded, bool deep)
            {
                var tokens = Placement.Shard(-2);
                var x = embedded.Redistribute(tokens);
                {{body}}
            }
        }
        """;

    private const string Shard = "the result of .Redistribute(Placement.Shard(-2))";
    private const string Normed = "the result of 'RmsNorm.Forward' on Shard(-2) input";
    private const string Mlp = "'SpMlp.Forward' ([PlacementContract] input Replicate)";

    /// <summary>The message's arguments for a replica wrapped as a token shard (the tiling of pytorch #129355).</summary>
    private static readonly object[] Tiled =
    [
        "DTensor.FromLocal(normed.Local, tokens, normed.Group)", "it wraps the block of 'normed', the result of .Redistribute(Placement.Replicate)",
        "that block holds every token of a replicated value, so each rank claims the whole sequence as its run and the sequence is tiled tp times",
        "split it with normed.Redistribute(Placement.Shard(-2))",
    ];

    [Fact]
    public Task A_token_shard_fed_to_a_layer_without_the_all_gather_is_flagged() => Verify.VerifyAsync(Model("""
                var a = Mlp.Forward({|#0:Norm.Forward(x)|}).Redistribute(tokens);
                var b = Ffn({|#1:Norm.Forward(x)|}).Redistribute(tokens);
                var logits = Head.Forward({|#2:x|});
                return x + a + b;
        """),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(
            "Norm.Forward(x)", Normed, Mlp + " needs every token, replicated", "all-gather the tokens first with Norm.Forward(x).Redistribute(Placement.Replicate)"),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(1).WithArguments(
            "Norm.Forward(x)", Normed, Mlp + " in 'SpModel.Ffn' needs every token, replicated", "all-gather the tokens first with Norm.Forward(x).Redistribute(Placement.Replicate)"),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(2).WithArguments(
            "x", Shard, "column layer 'Head' needs every token, replicated", "all-gather the tokens first with x.Redistribute(Placement.Replicate)"));

    [Fact]
    public Task A_partial_sum_added_to_the_token_shard_without_the_reduce_scatter_is_flagged() => Verify.VerifyAsync(Model("""
                var normed = Norm.Forward(x).Redistribute(Placement.Replicate);
                var h = {|#0:x + Mlp.Forward(normed)|};
                foreach (var block in _blocks)
                    x = deep ? Block(x) : {|#1:x + block.Forward(Norm.Forward(x).Redistribute(Placement.Replicate))|};
                return h;
        """),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(
            "x", Shard, "it is added to 'Mlp.Forward(normed)', a partial sum (the output of 'SpMlp.Forward')",
            "reduce-scatter that over the tokens first with Mlp.Forward(normed).Redistribute(Placement.Shard(-2))"),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(1).WithArguments(
            "x", Shard, "it is added to 'block.Forward(Norm.Forward(x).Redistribute(Placement.Repl...', a partial sum (the output of 'SpMlp.Forward')",
            "reduce-scatter that over the tokens first with '.Redistribute(Placement.Shard(-2))' on it"));

    [Fact]
    public Task A_token_shard_handed_to_a_helper_that_adds_a_partial_sum_is_flagged() => Verify.VerifyAsync(Model("""
                for (int i = 0; i < 2; i++) x = deep ? Leaky({|#0:x|}) : Block(x);
                return Head.Forward({|#1:x|});
        """),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(
            "x", Shard, "'SpModel.Leaky' adds it to 'y', a partial sum (the output of 'SpMlp.Forward')",
            "reduce-scatter that over the tokens first with y.Redistribute(Placement.Shard(-2)) in 'SpModel.Leaky'"),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(1).WithArguments(
            "x", Shard, "column layer 'Head' needs every token, replicated", "all-gather the tokens first with x.Redistribute(Placement.Replicate)"));

    [Fact]
    public Task The_gather_and_reduce_scatter_of_tokens_are_followed() => Verify.VerifyAsync(Model("""
                using (var gathered = Norm.Forward(x).GatherTokens())
                    x = x + Mlp.Forward(gathered.Value).ReduceScatterTokens();
                using (var gathered = Norm.Forward(x).GatherTokens())
                    x = {|#0:x + Mlp.Forward(gathered.Value)|};
                return Head.Forward({|#1:x|});
        """),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(
            "x", Shard, "it is added to 'Mlp.Forward(gathered.Value)', a partial sum (the output of 'SpMlp.Forward')",
            "reduce-scatter that over the tokens first with '.Redistribute(Placement.Shard(-2))' on it"),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(1).WithArguments(
            "x", Shard, "column layer 'Head' needs every token, replicated", "all-gather the tokens first with x.Redistribute(Placement.Replicate)"));

    [Fact]
    public Task A_replicated_result_added_to_the_token_shard_is_flagged() => Verify.VerifyAsync(Model("""
                var full = Ops.AllReduce(Mlp.Forward(Norm.Forward(x).Redistribute(Placement.Replicate)));
                return {|#0:x + full|};
        """),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(
            "x", Shard, "it is added to 'full', Replicate (the result of Ops.AllReduce)",
            "split that by tokens too with full.Redistribute(Placement.Shard(-2))"));

    [Fact]
    public Task A_block_labelled_with_the_other_placement_is_flagged() => Verify.VerifyAsync(Model("""
                var normed = Norm.Forward(x).Redistribute(Placement.Replicate);
                var tiled = {|#0:DTensor.FromLocal(normed.Local, tokens, normed.Group)|};
                var whole = {|#1:DTensor.FromLocal(x.Local, Placement.Replicate, x.Group)|};
                var same = DTensor.FromLocal(x.Local, Placement.Shard(-2), x.Group);
                var copy = DTensor.FromLocal(normed.Local, Placement.Replicate, normed.Group);
                return same;
        """),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(Tiled),
        Verify.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(1).WithArguments(
            "x", Shard, "DTensor.FromLocal(x.Local, Placement.Replicate, x.Group) declares its block the whole sequence, replicated",
            "gather it with x.Redistribute(Placement.Replicate)"));

    [Fact]
    public Task Fix_moves_a_relabelled_block() => VerifyFix.VerifyCodeFixAsync(Model("""
                var normed = Norm.Forward(x).Redistribute(Placement.Replicate);
                return {|#0:DTensor.FromLocal(normed.Local, tokens, normed.Group)|};
        """),
        [
            VerifyFix.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(Tiled),
        ],
        Model("""
                var normed = Norm.Forward(x).Redistribute(Placement.Replicate);
                return normed.Redistribute(Placement.Shard(-2));
        """));

    [Fact]
    public Task The_sequence_parallel_block_written_right_is_not_flagged() => Verify.VerifyAsync(Model("""
                for (int i = 0; i < 2; i++)
                {
                    var gathered = Norm.Forward(x).Redistribute(Placement.Replicate);
                    x = x + Ffn(gathered).Redistribute(tokens);
                    x = Block(x);
                }
                foreach (var block in _blocks)
                    x = x + block.Forward(Norm.Forward(x).Redistribute(Placement.Replicate)).Redistribute(tokens);
                // A placement local assigned twice names no one placement: what it makes is not followed.
                Placement target = Placement.Shard(-2);
                if (deep) target = Placement.Replicate;
                var either = Head.Forward(Norm.Forward(x).Redistribute(target));
                var scaled = Ops.Silu(Norm.Forward(x)) * x;
                var logits = Head.Forward(Norm.Forward(scaled).Redistribute(Placement.Replicate));
                return deep ? x : scaled;
        """));

    [Fact]
    public Task A_module_input_assumed_replicated_is_not_taken_for_a_mismatch() => Verify.VerifyAsync("""
        using TpCodegen;

        public sealed partial class SpLayer
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
            [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);
            public RmsNorm Norm { get; } = new(64);

            // Under sequence parallelism this Forward's input is a token shard, though the analyzers assume it replicated.
            public DTensor Forward(DTensor x) =>
                x + Down.Forward(Ops.Silu(Up.Forward(Norm.Forward(x).Redistribute(Placement.Replicate)))).Redistribute(Placement.Shard(-2));
        }

        public sealed partial class SpEntry
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);

            // The input may already be this rank's tokens: wrapping its block as a token shard is then right.
            public DTensor Forward(DTensor x) => DTensor.FromLocal(x.Local, Placement.Shard(-2), x.Group);
        }
        """);

    [Fact]
    public Task Fix_reduce_scatters_the_partial_sum_added_to_the_stream() => VerifyFix.VerifyCodeFixAsync(Model("""
                var normed = Norm.Forward(x).Redistribute(Placement.Replicate);
                return {|#0:x + Mlp.Forward(normed)|};
        """),
        [
            VerifyFix.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(
                "x", Shard, "it is added to 'Mlp.Forward(normed)', a partial sum (the output of 'SpMlp.Forward')",
                "reduce-scatter that over the tokens first with Mlp.Forward(normed).Redistribute(Placement.Shard(-2))"),
        ],
        Model("""
                var normed = Norm.Forward(x).Redistribute(Placement.Replicate);
                return x + Mlp.Forward(normed).Redistribute(Placement.Shard(-2));
        """));

    [Fact]
    public Task Fix_all_gathers_the_tokens_fed_to_a_layer() => VerifyFix.VerifyCodeFixAsync(Model("""
                return x + Mlp.Forward({|#0:Norm.Forward(x)|}).Redistribute(tokens);
        """),
        [
            VerifyFix.Diagnostic(Descriptors.TokenShardWithoutGather).WithLocation(0).WithArguments(
                "Norm.Forward(x)", Normed, Mlp + " needs every token, replicated", "all-gather the tokens first with Norm.Forward(x).Redistribute(Placement.Replicate)"),
        ],
        Model("""
                return x + Mlp.Forward(Norm.Forward(x).Redistribute(Placement.Replicate)).Redistribute(tokens);
        """));
}
