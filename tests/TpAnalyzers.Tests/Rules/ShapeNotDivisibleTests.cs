using TpCodegen.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using TpCodegen.Analyzers.Rules;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.ShapeNotDivisibleAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class ShapeNotDivisibleTests
{
    private const string Usings = "using TpCodegen;\nusing TpCodegen.Collectives;\n";

    [Fact]
    public Task Features_the_module_degree_does_not_divide_are_flagged() => Verify.VerifyAsync(Usings + """
        public partial class LlamaMlp
        {
            private const int TpDegree = 3;
            private const int Hidden = 4096;
            private const int Intermediate = 11008;

            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(Hidden, {|#0:Intermediate|});
            [TensorParallel(Split.Row)] public Linear Down { get; } = new({|#1:11008|}, Hidden);
        }
        """,
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Column layer 'Gate'", "output features", 11008, 3, "1, 2, 4, 8, 16, 32, 43, 64, ..."),
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(1)
            .WithArguments("Row layer 'Down'", "input features", 11008, 3, "1, 2, 4, 8, 16, 32, 43, 64, ..."));

    [Fact]
    public Task Message_reads_like_the_style_guide() => Verify.VerifyAsync(Usings + """
        public partial class Mlp
        {
            public const int TensorParallelDegree = 3;
            [TensorParallel(Split.Row)] public Linear Down { get; } = new({|#0:11008|}, 4096);
        }
        """,
        new DiagnosticResult(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithMessage("Row layer 'Down': input features 11008 is not divisible by tp=3; valid tp: 1, 2, 4, 8, 16, 32, 43, 64, ..."));

    [Fact]
    public Task Head_counts_the_degree_does_not_divide_are_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Attention
        {
            private const int TpDegree = 4;
            private const int NumHeads = 32;
            private const int {|#0:NumKeyValueHeads|} = 6;

            [TensorParallel(Split.Column)] public Linear Qkv { get; } = new(4096, 4096 + 2 * 768);
        }
        """,
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Module 'Attention'", "NumKeyValueHeads", 6, 4, "1, 2, 3, 6, 12, 18, 24, 30, ..."));

    [Fact]
    public async Task Degree_from_the_msbuild_property_is_used()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                public partial class Mlp
                {
                    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, {|#0:1004|});
                    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 512);
                }
                """,
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nbuild_property.TpDegree = 2,8\n"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Column layer 'Up'", "output features", 1004, 8, "1, 2, 4, 251, 502, 1004"));
        await test.RunAsync();
    }

    [Fact]
    public Task Degree_from_a_constant_device_mesh_is_used() => Verify.VerifyAsync(Usings + """
        public partial class Mlp
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 1536);
            [TensorParallel(Split.Row)] public Linear Down;

            public Mlp() => Down = new Linear({|#0:1000|}, 512);
        }

        static class Launch
        {
            static DeviceMesh Build(ProcessGroup world) => DeviceMesh.Create(world, 2, 3);
        }
        """,
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Row layer 'Down'", "input features", 1000, 3, "1, 2, 4, 5, 8, 10, 20, 25, ..."));

    [Fact]
    public Task Constant_sizes_handed_to_a_module_constructor_are_flagged_where_written() => Verify.VerifyAsync(Usings + """
        public partial class LlamaMlp(int hidden, int intermediate)
        {
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden);
        }

        public partial class Attention
        {
            [TensorParallel(Split.Column)] public Linear Qkv { get; }

            public Attention(int hidden, int qkv) => Qkv = new Linear(hidden, qkv);
        }

        public partial class Stored
        {
            private readonly int _intermediate;

            [TensorParallel(Split.Column)] public Linear Up { get; }

            public Stored(int hidden, int intermediate)
            {
                _intermediate = intermediate;
                Up = new Linear(hidden, _intermediate);
            }
        }

        static class Launch
        {
            static DeviceMesh Build(ProcessGroup world) => DeviceMesh.Create(world, 1, 4);

            static void Make()
            {
                // 11008 is divisible by 4; 11010 is not, and feeds both layers.
                var fine = new LlamaMlp(4097, 11008);
                var wrong = new LlamaMlp(4096, {|#0:11010|});
                var attention = new Attention(4096, {|#1:6150|});
                var unknown = new Attention(4096, fine.Gate.OutFeatures);
                var stored = new Stored(4096, {|#2:6150|});
            }
        }
        """,
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Column layer 'Gate' of 'LlamaMlp' (its 'intermediate')", "output features", 11010, 4, "1, 2, 3, 5, 6, 10, 15, 30, ..."),
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Row layer 'Down' of 'LlamaMlp' (its 'intermediate')", "input features", 11010, 4, "1, 2, 3, 5, 6, 10, 15, 30, ..."),
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(1)
            .WithArguments("Column layer 'Qkv' of 'Attention' (its 'qkv')", "output features", 6150, 4, "1, 2, 3, 5, 6, 10, 15, 25, ..."),
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(2)
            .WithArguments("Column layer 'Up' of 'Stored' (its 'intermediate')", "output features", 6150, 4, "1, 2, 3, 5, 6, 10, 15, 25, ..."));

    [Fact]
    public Task Degree_from_a_named_constant_or_a_launcher_without_a_mesh_is_used() => Verify.VerifyAsync(Usings + """
        public partial class Mlp
        {
            [TensorParallel(Split.Row)] public Linear Down { get; } = new({|#0:1000|}, 512);
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, {|#1:1020|});
        }

        static class Launch
        {
            private const int Shards = 8;

            static DeviceMesh Build(ProcessGroup world) => DeviceMesh.Create(world, 1, Shards);

            static void Main() => Launcher.Run(3, world => Mlp.ShardFrom(new Mlp(), world));
        }

        partial class Mlp
        {
            public static Mlp ShardFrom(Mlp dense, ProcessGroup group) => dense;
        }
        """,
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Row layer 'Down'", "input features", 1000, 3, "1, 2, 4, 5, 8, 10, 20, 25, ..."),
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(1)
            .WithArguments("Column layer 'Up'", "output features", 1020, 8, "1, 2, 3, 4, 5, 6, 10, 12, ..."));

    [Fact]
    public Task A_launcher_that_shards_nothing_or_splits_its_world_states_no_degree() => Verify.VerifyAsync(Usings + """
        using TpCodegen.Collectives.InProcess;

        public partial class Mlp
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, {|#0:250|});
            public static Mlp ShardFrom(Mlp dense, ProcessGroup group) => dense;
        }

        static class Checks
        {
            // A data-parallel check on 3 ranks: nothing is sharded over this world.
            static void Averaging() => InProcessWorld.Run(3, world => world.AllReduce(new float[4], ReduceOp.Average));

            // Groups made by Split: the world of 6 is not the tensor-parallel group.
            static void Split() => Launcher.Run(6, world =>
            {
                using var tp = world.Split(world.Rank / 2, world.Rank);
                Mlp.ShardFrom(new Mlp(), tp);
            });

            // The world of 4 is the tensor-parallel group, handed to a loader, and 250 does not divide by it.
            static void Sharded() => Launcher.Run(4, world => Load(world));

            static Mlp Load(ProcessGroup group) => Mlp.ShardFrom(new Mlp(), group);
        }
        """,
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Column layer 'Up'", "output features", 250, 4, "1, 2, 5, 10, 25, 50, 125, 250"));

    [Fact]
    public Task Degree_from_a_local_written_once_is_used_and_from_one_written_again_is_not() => Verify.VerifyAsync(Usings + """
        public partial class Mlp
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, {|#0:250|});
        }

        static class Launch
        {
            static void Main()
            {
                int tensorParallel = 4;
                Launcher.Run(8, world => DeviceMesh.Create(world, 2, tensorParallel));
                int tuned = 3;
                tuned *= 2;
                Launcher.Run(12, world => DeviceMesh.Create(world, 2, tuned));
            }
        }
        """,
        Verify.Diagnostic(Descriptors.ShapeNotDivisibleByDegree).WithLocation(0)
            .WithArguments("Column layer 'Up'", "output features", 250, 4, "1, 2, 5, 10, 25, 50, 125, 250"));

    [Fact]
    public Task Divisible_unknown_or_unsplit_shapes_are_not_flagged() => Verify.VerifyAsync(Usings + """
        public partial class LlamaMlp(int hidden, int intermediate)
        {
            private const int TpDegree = 4;
            private const int NumHeads = 32;

            // Divisible by 4.
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(4096, 11008);
            // Column splits output features only: 4097 input features are fine.
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(4097, 11008);
            // Not constants.
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden);
            // Not marked.
            public Linear Head { get; } = new(4096, 32001);
        }

        // No degree stated anywhere for this module (no constant, no property, no constant mesh).
        public partial class Other
        {
            private const int NumHeads = 7;
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(11008, 4096);
        }

        public class NotAModule
        {
            private const int TpDegree = 4;
            private const int NumHeads = 6;
        }

        // Two KV heads at tp=4: each is replicated on two ranks (grouped-query attention).
        public partial class GroupedQuery
        {
            private const int TpDegree = 4;
            private const int NumKeyValueHeads = 2;
            [TensorParallel(Split.Column)] public Linear K { get; } = new(4096, 2 * 128);
        }
        """);
}
