using TpCodegen.Analyzers.Tests.Verifiers;
using TpCodegen.Analyzers.Rules;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.ShardReducedOverTensorParallelGroupAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class ShardReducedOverTensorParallelGroupTests
{
    private const string Usings = "using System;\nusing TpCodegen;\nusing TpCodegen.Collectives;\n";

    private const string Module = """
        partial class Mlp
        {
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(8, 16);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(16, 8);
            public Linear Head { get; } = new(8, 8);
        }

        """;

    [Fact]
    public Task Weights_of_a_sharded_layer_reduced_over_the_tp_group_are_flagged() => Verify.VerifyAsync(Usings + Module + """
        class Training
        {
            static void Sync(Mlp mlp, DeviceMesh mesh, ProcessGroup tpGroup)
            {
                mesh.TensorParallel.AllReduce({|#0:mlp.Gate.Weight|}, ReduceOp.Average);
                var downGrad = mlp.Down.Weight;
                tpGroup.AllReduce({|#1:downGrad.AsSpan(0, 4)|});
                tpGroup.ReduceScatter({|#2:mlp.Down.Bias|}, new float[4]);
            }
        }
        """,
        Verify.Diagnostic(Descriptors.ShardReducedOverTensorParallelGroup).WithLocation(0)
            .WithArguments("'mesh.TensorParallel.AllReduce'", "mlp.Gate.Weight", "Gate", "'mesh.TensorParallel'"),
        Verify.Diagnostic(Descriptors.ShardReducedOverTensorParallelGroup).WithLocation(1)
            .WithArguments("'tpGroup.AllReduce'", "downGrad.AsSpan(0, 4)", "Down", "'tpGroup'"),
        Verify.Diagnostic(Descriptors.ShardReducedOverTensorParallelGroup).WithLocation(2)
            .WithArguments("'tpGroup.ReduceScatter'", "mlp.Down.Bias", "Down", "'tpGroup'"));

    [Fact]
    public Task Correct_gradient_reductions_are_not_flagged() => Verify.VerifyAsync(Usings + Module + """
        class Training
        {
            static void Sync(Mlp mlp, DeviceMesh mesh, ProcessGroup tp, DTensor x, float[] lossGrad)
            {
                // Gradients of sharded weights are reduced over the data-parallel group.
                mesh.DataParallel.AllReduce(mlp.Gate.Weight, ReduceOp.Average);
                // Gathering the shards (for a checkpoint) is how a full weight is rebuilt.
                mesh.TensorParallel.AllGather(mlp.Down.Weight, new float[mlp.Down.Weight.Length * tp.Size]);
                // An unmarked layer, and buffers that come from no layer.
                tp.AllReduce(mlp.Head.Weight);
                tp.AllReduce(lossGrad);
                // A layer's output is an activation, not a parameter.
                tp.AllReduce(mlp.Gate.Forward(x).LocalSpan);
            }
        }
        """);
}
