using TpCodegen.Analyzers.Tests.Verifiers;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.DataSplitByTensorParallelGroupAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class DataSplitByTensorParallelGroupTests
{
    private const string Usings = "using System;\nusing TpCodegen;\nusing TpCodegen.Collectives;\n";

    [Fact]
    public Task Data_sliced_or_divided_by_the_tp_group_is_flagged() => Verify.VerifyAsync(Usings + """
        class Loader
        {
            static void Load(DeviceMesh mesh, ProcessGroup tp, float[] batch, int tokens, int n)
            {
                var mine = {|#0:batch.AsSpan().Slice(tp.Rank * n, n)|};
                int perRank = {|#1:tokens / mesh.TensorParallel.Size|};
                float first = {|#2:batch[tp.Rank]|};
                int batchPerRank = 4;
                int offset = {|#3:tp.Rank * batchPerRank|};
            }
        }
        """,
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(0).WithArguments("batch.AsSpan().Slice(tp.Rank * n, n)", "batch", "'tp.Rank'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(1).WithArguments("tokens / mesh.TensorParallel.Size", "tokens", "'mesh.TensorParallel.Size'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(2).WithArguments("batch[tp.Rank]", "batch", "'tp.Rank'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(3).WithArguments("tp.Rank * batchPerRank", "batchPerRank", "'tp.Rank'"));

    [Fact]
    public Task Linq_round_robin_and_readers_keyed_on_the_tp_group_are_flagged() => Verify.VerifyAsync(Usings + """
        using System.Linq;

        sealed class ShardedReader(string path, int rank, int count);

        class Loader
        {
            private readonly ProcessGroup _group;

            public Loader(DeviceMesh mesh) => _group = mesh.TensorParallel;

            void Load(string[] examples, string path)
            {
                var mine = {|#0:examples.Where((_, i) => i % _group.Size == _group.Rank)|}.ToArray();
                var reader = new ShardedReader(path, {|#1:_group.Rank|}, _group.Size);
            }
        }
        """,
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(0).WithArguments("examples.Where((_, i) => i % _group.Size == _group.Rank)", "examples", "'_group.Size'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(1).WithArguments("new ShardedReader(...)", "ShardedReader", "'_group.Rank'"));

    [Fact]
    public Task Round_robin_over_a_mesh_world_is_flagged_and_over_its_data_parallel_group_is_not() => Verify.VerifyAsync(Usings + """
        using System.Collections.Generic;
        using System.Linq;

        class Loader
        {
            static IEnumerable<int[]> Mine(DeviceMesh mesh, int[][] batches) =>
                {|#0:batches.Where((_, i) => i % mesh.World.Size == mesh.World.Rank)|};

            static IEnumerable<int[]> Ours(DeviceMesh mesh, int[][] batches) =>
                batches.Where((_, i) => i % mesh.DataParallel.Size == mesh.DataParallel.Rank);

            static IEnumerable<int[]> Launched(ProcessGroup world, int[][] batches) =>
                batches.Where((_, i) => i % world.Size == world.Rank);
        }
        """,
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(0).WithArguments("batches.Where((_, i) => i % mesh.World.Size == mesh.World...", "batches", "'mesh.World.Size'"));

    [Fact]
    public Task A_chain_of_accesses_is_one_split() => Verify.VerifyAsync(Usings + """
        using System.Collections.Generic;
        using System.Linq;

        class Loader
        {
            static List<int[]> Mine(DeviceMesh mesh, List<int[]> samples)
            {
                var tp = mesh.TensorParallel;
                int per = {|#2:samples.Count / tp.Size|};
                return {|#0:samples.Skip(tp.Rank * per).Take(per)|}.ToList();
            }

            static List<int[]> Window(DeviceMesh mesh, List<int[]> samples, int per) =>
                {|#1:samples.Skip(mesh.TensorParallel.Rank * per)|}.Take(per).ToList();
        }
        """,
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(0).WithArguments("samples.Skip(tp.Rank * per).Take(per)", "samples", "'tp.Size'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(1).WithArguments("samples.Skip(mesh.TensorParallel.Rank * per)", "samples", "'mesh.TensorParallel.Rank'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(2).WithArguments("samples.Count / tp.Size", "samples", "'tp.Size'"));

    [Fact]
    public Task Sampler_keyed_on_the_tp_group_or_the_mesh_world_is_flagged() => Verify.VerifyAsync(Usings + """
        sealed class DistributedSampler(int count, int rank, int replicas);

        class Loader
        {
            static void Load(DeviceMesh mesh, int samples)
            {
                // Reported once per loader, at the first argument keyed on the wrong group.
                var a = new DistributedSampler(samples, {|#0:mesh.TensorParallel.Rank|}, mesh.TensorParallel.Size);
                var b = new DistributedSampler(samples, rank: {|#1:mesh.World.Rank|}, replicas: mesh.World.Size);
                var c = new DistributedSampler(samples, mesh.DataParallel.Rank, {|#2:mesh.TensorParallel.Size|});
            }
        }
        """,
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(0).WithArguments("new DistributedSampler(...)", "samples", "'mesh.TensorParallel.Rank'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(1).WithArguments("new DistributedSampler(...)", "samples", "'mesh.World.Rank'"),
        Verify.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(2).WithArguments("new DistributedSampler(...)", "samples", "'mesh.TensorParallel.Size'"));

    [Fact]
    public Task Data_split_by_the_data_parallel_group_and_feature_splits_are_not_flagged() => Verify.VerifyAsync(Usings + """
        sealed class DistributedSampler(int count, int rank, int replicas);

        class Loader
        {
            static void Load(DeviceMesh mesh, ProcessGroup tp, ProcessGroup world, float[] batch, float[] weights, int tokens, int hidden, int n, DTensor x)
            {
                // Data by the data-parallel group: right.
                var mine = batch.AsSpan().Slice(mesh.DataParallel.Rank * n, n);
                int perReplica = tokens / mesh.DataParallel.Size;
                var sampler = new DistributedSampler(tokens, mesh.DataParallel.Rank, mesh.DataParallel.Size);
                // A world without a mesh around it is the data-parallel world.
                var plain = new DistributedSampler(tokens, world.Rank, world.Size);
                // Features by the tensor-parallel group: that is what tensor parallelism splits.
                int hiddenPerRank = hidden / tp.Size;
                var slice = weights.AsSpan(tp.Rank * hiddenPerRank, hiddenPerRank);
                // A byte count for a plan: tokens times the local width.
                long bytes = tokens * hidden / tp.Size * sizeof(float);
                // Names whose head is a weight or a byte count, however they start.
                var tokenEmbeddings = weights;
                var rows = tokenEmbeddings.AsSpan(tp.Rank * hiddenPerRank, hiddenPerRank);
                long bytesPerToken = hidden * sizeof(float);
                long kvBytesPerToken = bytesPerToken / tp.Size;
                // A DTensor's own rows, counted for its placement (a sequence shard holds Tokens / Size of them).
                int localRows = x.Placement is ShardPlacement { Dim: -2 } ? x.Tokens : x.Tokens / x.Group.Size;
            }
        }
        """);
}
