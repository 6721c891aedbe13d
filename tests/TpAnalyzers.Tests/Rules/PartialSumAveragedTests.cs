using TpCodegen.Analyzers.Tests.Verifiers;
using Fix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.PartialSumAveragedAnalyzer, TpCodegen.Analyzers.CodeFixes.AverageToSumCodeFix>;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.PartialSumAveragedAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class PartialSumAveragedTests
{
    private const string Usings = "using TpCodegen;\nusing TpCodegen.Collectives;\n";

    [Fact]
    public Task Average_over_the_mesh_tensor_parallel_group_is_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Reduce(DeviceMesh mesh, float[] sums)
            {
                mesh.TensorParallel.AllReduce(sums, {|#0:ReduceOp.Average|});
            }
        }
        """,
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(0)
            .WithArguments("'mesh.TensorParallel.AllReduce'", "the tensor-parallel group 'mesh.TensorParallel'"));

    [Fact]
    public Task Average_over_groups_named_or_derived_as_tensor_parallel_is_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            private readonly ProcessGroup _tpGroup = null!;

            void Reduce(DeviceMesh mesh, ProcessGroup tensorParallel, DTensor x, float[] sums)
            {
                tensorParallel.AllReduce(sums, op: {|#0:ReduceOp.Average|});
                _tpGroup.ReduceScatter(sums, new float[1], {|#1:ReduceOp.Average|});
                var group = mesh.TensorParallel;
                group.AllReduce(sums, {|#2:ReduceOp.Average|});
                x.Group.AllReduce(x.LocalSpan, {|#3:ReduceOp.Average|});
            }
        }
        """,
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(0).WithArguments("'tensorParallel.AllReduce'", "the tensor-parallel group 'tensorParallel'"),
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(1).WithArguments("'_tpGroup.ReduceScatter'", "the tensor-parallel group '_tpGroup'"),
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(2).WithArguments("'group.AllReduce'", "the tensor-parallel group 'group'"),
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(3).WithArguments("'x.Group.AllReduce'", "the tensor-parallel group 'x.Group'"));

    [Fact]
    public Task Partial_placement_with_average_is_flagged() => Verify.VerifyAsync(Usings + """
        class Plan
        {
            static Placement Output() => Placement.Partial({|#0:ReduceOp.Average|});
        }
        """,
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(0).WithArguments("'Placement.Partial'", "a partial placement"));

    [Fact]
    public Task Correct_reductions_are_not_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Step(DeviceMesh mesh, ProcessGroup tp, ProcessGroup group, ProcessGroup world, float[] grads, float[] sums, float[] logits)
            {
                // Data-parallel gradient averaging is right.
                mesh.DataParallel.AllReduce(grads, ReduceOp.Average);
                world.AllReduce(grads, ReduceOp.Average);
                // A group whose role the code does not show is left alone.
                group.AllReduce(grads, ReduceOp.Average);
                // Partial sums summed, explicitly or by default.
                tp.AllReduce(sums);
                tp.AllReduce(sums, ReduceOp.Sum);
                // A max over the TP group (vocab-parallel softmax) is not a partial sum.
                mesh.TensorParallel.AllReduce(logits, ReduceOp.Max);
                _ = Placement.Partial();
                _ = Placement.Partial(ReduceOp.Sum);
                // Numbers each rank measured, written where the buffer is made: their mean is the point.
                var memory = new[] { (float)System.GC.GetTotalMemory(false) };
                tp.AllReduce(memory, ReduceOp.Average);
                mesh.TensorParallel.AllReduce(new float[] { 1f, 2f }, ReduceOp.Average);
            }
        }
        """);

    [Fact]
    public Task A_buffer_not_made_of_listed_numbers_is_still_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Step(ProcessGroup tp, DTensor y, int n)
            {
                var partial = new float[n];
                y.LocalSpan.CopyTo(partial);
                tp.AllReduce(partial, {|#0:ReduceOp.Average|});
                var copy = y.LocalSpan.ToArray();
                tp.AllReduce(copy, {|#1:ReduceOp.Average|});
            }
        }
        """,
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(0).WithArguments("'tp.AllReduce'", "the tensor-parallel group 'tp'"),
        Verify.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(1).WithArguments("'tp.AllReduce'", "the tensor-parallel group 'tp'"));

    [Fact]
    public Task Fix_replaces_average_with_sum_everywhere() => Fix.VerifyCodeFixAsync(Usings + """
        using static TpCodegen.ReduceOp;

        class Training
        {
            static void Reduce(DeviceMesh mesh, ProcessGroup tp, float[] sums)
            {
                mesh.TensorParallel.AllReduce(sums, {|#0:ReduceOp.Average|});
                tp.AllReduce(sums, /* op */ {|#1:Average|});
            }
        }
        """,
        [
            Fix.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(0).WithArguments("'mesh.TensorParallel.AllReduce'", "the tensor-parallel group 'mesh.TensorParallel'"),
            Fix.Diagnostic(Descriptors.PartialSumAveraged).WithLocation(1).WithArguments("'tp.AllReduce'", "the tensor-parallel group 'tp'"),
        ],
        Usings + """
        using static TpCodegen.ReduceOp;

        class Training
        {
            static void Reduce(DeviceMesh mesh, ProcessGroup tp, float[] sums)
            {
                mesh.TensorParallel.AllReduce(sums, ReduceOp.Sum);
                tp.AllReduce(sums, /* op */ Sum);
            }
        }
        """);
}
