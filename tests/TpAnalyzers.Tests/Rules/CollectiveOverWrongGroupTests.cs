using TpCodegen.Analyzers.Tests.Verifiers;
using TpCodegen.Analyzers.Rules;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class CollectiveOverWrongGroupTests
{
    private const string Usings = "using TpCodegen;\nusing TpCodegen.Collectives;\n";

    // Stands for the generated ShardFrom, which the generator adds to a module's partial class.
    private const string Module = """
        partial class Mlp
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(8, 16);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(16, 8);
            public static Mlp ShardFrom(Mlp dense, ProcessGroup group) => dense;
            public static void Attach(Mlp module, ProcessGroup tpGroup) { }
        }

        """;

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Diagnostic(int location, params object[] arguments) =>
        Verifiers.AnalyzerVerifier<CollectiveOverWrongGroupAnalyzer>.Diagnostic(Descriptors.CollectiveOverWrongGroup).WithLocation(location).WithArguments(arguments);

    [Fact]
    public Task Layer_output_reduced_over_the_data_parallel_group_or_world_is_flagged() => AnalyzerVerifier<CollectiveOverWrongGroupAnalyzer>.VerifyAsync(Usings + Module + """
        class Training
        {
            static void Step(Mlp mlp, DeviceMesh mesh, ProcessGroup world, DTensor x)
            {
                var y = mlp.Down.Forward(x);
                {|#0:mesh.DataParallel|}.AllReduce(y.LocalSpan);
                {|#1:world|}.AllGather(mlp.Up.Forward(x).LocalSpan, new float[64]);
            }
        }
        """,
        Diagnostic(0, "'mesh.DataParallel.AllReduce'", "'mesh.DataParallel'", "data-parallel", "its buffer is the output of tensor-parallel layer 'Down', which lives on the tensor-parallel group"),
        Diagnostic(1, "'world.AllGather'", "'world'", "world", "its buffer is the output of tensor-parallel layer 'Up', which lives on the tensor-parallel group"));

    [Fact]
    public Task Module_sharded_over_the_data_parallel_group_or_a_mesh_world_is_flagged() => AnalyzerVerifier<CollectiveOverWrongGroupAnalyzer>.VerifyAsync(Usings + Module + """
        class Launch
        {
            static void Run(ProcessGroup world, int dp)
            {
                var mesh = DeviceMesh.Create(world, dp, 2);
                var dense = new Mlp();
                var a = Mlp.ShardFrom(dense, {|#0:mesh.DataParallel|});
                var b = Mlp.ShardFrom(dense, {|#1:world|});
                Mlp.Attach(dense, {|#2:mesh.World|});
            }
        }
        """,
        Diagnostic(0, "'Mlp.ShardFrom'", "'mesh.DataParallel'", "data-parallel", "the module would be split over ranks that see different batches instead of the ranks that share one"),
        Diagnostic(1, "'Mlp.ShardFrom'", "'world'", "world", "the mesh has data-parallel replicas, so splitting over every rank cuts each layer into dp * tp pieces instead of tp"),
        Diagnostic(2, "'Mlp.Attach'", "'mesh.World'", "world", "the mesh has data-parallel replicas, so splitting over every rank cuts each layer into dp * tp pieces instead of tp"));

    [Fact]
    public Task Roles_follow_fields_properties_splits_and_the_launcher_not_names() => AnalyzerVerifier<CollectiveOverWrongGroupAnalyzer>.VerifyAsync(Usings + Module + """
        class Trainer
        {
            private readonly ProcessGroup _reduce;

            private ProcessGroup Sync { get; }

            public Trainer(DeviceMesh mesh)
            {
                _reduce = mesh.DataParallel;
                Sync = mesh.World;
            }

            void Step(Mlp mlp, DeviceMesh mesh, DTensor x)
            {
                // Named like the world, made as the tensor-parallel group: right.
                var world = mesh.TensorParallel;
                world.AllReduce(mlp.Down.Forward(x).LocalSpan);
                {|#0:_reduce|}.AllReduce(mlp.Down.Forward(x).LocalSpan);
                {|#1:Sync|}.AllGather(mlp.Up.Forward(x).LocalSpan, new float[64]);
            }

            static void Launch(Mlp mlp, DTensor x) => Launcher.Run(4, g =>
            {
                var consecutive = g.Split(g.Rank / 2, g.Rank);
                var strided = g.Split(g.Rank % 2, g.Rank);
                consecutive.AllReduce(mlp.Down.Forward(x).LocalSpan);
                {|#2:strided|}.AllReduce(mlp.Down.Forward(x).LocalSpan);
                {|#3:g|}.AllReduce(mlp.Down.Forward(x).LocalSpan);
            });
        }
        """,
        Diagnostic(0, "'_reduce.AllReduce'", "'_reduce'", "data-parallel", "its buffer is the output of tensor-parallel layer 'Down', which lives on the tensor-parallel group"),
        Diagnostic(1, "'Sync.AllGather'", "'Sync'", "world", "its buffer is the output of tensor-parallel layer 'Up', which lives on the tensor-parallel group"),
        Diagnostic(2, "'strided.AllReduce'", "'strided'", "data-parallel", "its buffer is the output of tensor-parallel layer 'Down', which lives on the tensor-parallel group"),
        Diagnostic(3, "'g.AllReduce'", "'g'", "world", "its buffer is the output of tensor-parallel layer 'Down', which lives on the tensor-parallel group"));

    [Fact]
    public Task Roles_follow_arguments_into_private_methods() => AnalyzerVerifier<CollectiveOverWrongGroupAnalyzer>.VerifyAsync(Usings + Module + """
        class Setup
        {
            static void Run(DeviceMesh mesh)
            {
                Shard(mesh.DataParallel);
                Both(mesh.TensorParallel);
                Both(mesh.DataParallel);
            }

            private static void Shard(ProcessGroup group) => Mlp.ShardFrom(new Mlp(), {|#0:group|});

            // Given either group: nothing can be said.
            private static void Both(ProcessGroup group) => Mlp.ShardFrom(new Mlp(), group);
        }
        """,
        Diagnostic(0, "'Mlp.ShardFrom'", "'group'", "data-parallel", "the module would be split over ranks that see different batches instead of the ranks that share one"));

    [Fact]
    public Task Tensor_parallel_group_and_plain_worlds_are_not_flagged() => AnalyzerVerifier<CollectiveOverWrongGroupAnalyzer>.VerifyAsync(Usings + Module + """
        class Launch
        {
            static void NoMesh(ProcessGroup world)
            {
                // No mesh in sight: the world may well be one tensor-parallel group.
                var a = Mlp.ShardFrom(new Mlp(), world);
            }

            static void Run(ProcessGroup world, DTensor x, float[] grads)
            {
                var dense = new Mlp();
                var mesh = DeviceMesh.Create(world, 2, 2);
                var b = Mlp.ShardFrom(dense, mesh.TensorParallel);
                var y = b.Down.Forward(x);
                mesh.TensorParallel.AllReduce(y.LocalSpan);
                // Data-parallel gradient averaging is right.
                mesh.DataParallel.AllReduce(grads, ReduceOp.Average);
            }

            static void PureTensorParallel(ProcessGroup world)
            {
                // dp = 1: the world is the tensor-parallel group.
                var mesh = DeviceMesh.Create(world, 1, 4);
                var c = Mlp.ShardFrom(new Mlp(), world);
            }
        }
        """);
}
