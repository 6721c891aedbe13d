using TpCodegen.Analyzers.Tests.Verifiers;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.BatchScaledByTensorParallelDegreeAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class BatchScaledByTensorParallelDegreeTests
{
    private const string Usings = "using TpCodegen;\nusing TpCodegen.Collectives;\n";

    [Fact]
    public Task Batch_times_tp_degree_is_flagged() => Verify.VerifyAsync(Usings + """
        class Config
        {
            public int TensorParallel { get; init; } = 4;
            public int BatchSize { get; init; } = 8;
        }

        class Training
        {
            static void Plan(DeviceMesh mesh, ProcessGroup tp, Config config, int batchSize, int tpDegree)
            {
                int global = {|#0:batchSize * tp.Size|};
                int fromMesh = {|#1:mesh.TensorParallel.Size * config.BatchSize|};
                int fromConfig = {|#2:config.BatchSize * config.TensorParallel|};
                int globalBatch = 32;
                {|#3:globalBatch *= tpDegree|};
            }
        }
        """,
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(0).WithArguments("batchSize * tp.Size", "batchSize", "tp.Size"),
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(1).WithArguments("mesh.TensorParallel.Size * config.BatchSize", "BatchSize", "mesh.TensorParallel.Size"),
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(2).WithArguments("config.BatchSize * config.TensorParallel", "BatchSize", "config.TensorParallel"),
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(3).WithArguments("globalBatch *= tpDegree", "globalBatch", "tpDegree"));

    [Fact]
    public Task A_product_of_several_factors_is_read_whole_and_reported_once() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Plan(DeviceMesh mesh, int microBatchSize, int gradAccum, int hidden, int tpDegree)
            {
                // The usual global-batch formula, with the wrong degree somewhere in it.
                int global = {|#0:microBatchSize * gradAccum * mesh.TensorParallel.Size|};
                long tokens = {|#1:(long)microBatchSize * 1024 * tpDegree|};
                int globalBatch = 8;
                {|#2:globalBatch *= gradAccum * mesh.TensorParallel.Size|};
                // The right formula, and a width times the degree.
                int right = microBatchSize * gradAccum * mesh.DataParallel.Size;
                int width = hidden * 4 * tpDegree;
            }
        }
        """,
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(0).WithArguments("microBatchSize * gradAccum * mesh.TensorParallel.Size", "microBatchSize", "mesh.TensorParallel.Size"),
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(1).WithArguments("(long)microBatchSize * 1024 * tpDegree", "microBatchSize", "tpDegree"),
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(2).WithArguments("globalBatch *= gradAccum * mesh.TensorParallel.Size", "globalBatch", "mesh.TensorParallel.Size"));

    [Fact]
    public Task A_group_passed_to_a_constructor_keeps_the_role_its_callers_give_it() => Verify.VerifyAsync(Usings + """
        public sealed class Schedule
        {
            private readonly ProcessGroup _group;
            public Schedule(ProcessGroup group) { _group = group; }
            public int GlobalBatch(int microBatch) => {|#0:microBatch * _group.Size|};
        }

        public sealed class Replicas(ProcessGroup group)
        {
            public int GlobalBatch(int microBatch) => microBatch * group.Size;
        }

        public sealed class Mixed(ProcessGroup group)
        {
            public int GlobalBatch(int microBatch) => microBatch * group.Size;
        }

        public static class Program
        {
            public static int Plan(DeviceMesh mesh) =>
                new Schedule(mesh.TensorParallel).GlobalBatch(8) + new Replicas(mesh.DataParallel).GlobalBatch(8) +
                new Mixed(mesh.TensorParallel).GlobalBatch(8) + new Mixed(mesh.DataParallel).GlobalBatch(8);
        }
        """,
        Verify.Diagnostic(Descriptors.BatchScaledByTensorParallelDegree).WithLocation(0).WithArguments("microBatch * _group.Size", "microBatch", "_group.Size"));

    [Fact]
    public Task Batch_times_dp_degree_and_widths_times_tp_are_not_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Plan(DeviceMesh mesh, ProcessGroup tp, ProcessGroup world, int batchSize, int dp, int hiddenPerRank)
            {
                int global = batchSize * mesh.DataParallel.Size;
                int alsoGlobal = batchSize * dp;
                int hidden = hiddenPerRank * tp.Size;
                int worldBatch = batchSize * world.Size;
                int offset = batchSize * tp.Rank;
            }
        }
        """);
}
