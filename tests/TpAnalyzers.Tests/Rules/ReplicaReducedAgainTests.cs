using TpCodegen.Analyzers.Tests.Verifiers;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.ReplicaReducedAgainAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class ReplicaReducedAgainTests
{
    private const string FromDown = "the output of row layer 'Down'";

    private static string WithGroups(string members) => Modules.With(members).Replace("using TpCodegen;", "using TpCodegen;\nusing TpCodegen.Collectives;");

    [Fact]
    public Task A_reduced_output_summed_over_the_group_again_is_flagged() => Verify.VerifyAsync(WithGroups("""
            private readonly ProcessGroup _tp;

            public Block(DeviceMesh mesh) => _tp = mesh.TensorParallel;

            public DTensor Forward(DTensor x)
            {
                var y = Down.Forward(Up.Forward(x));
                _tp.AllReduce({|#0:y|}.LocalSpan);
                y.Group.AllReduce({|#1:y|}.LocalSpan, ReduceOp.Sum);
                var z = Ops.AllReduce({|#2:y|});
                var w = Ops.AllReduce({|#3:x|});
                return z + w;
            }
        """),
        Verify.Diagnostic(Descriptors.ReplicaReducedAgain).WithLocation(0).WithArguments("y", FromDown, "'_tp.AllReduce'"),
        Verify.Diagnostic(Descriptors.ReplicaReducedAgain).WithLocation(1).WithArguments("y", FromDown, "'y.Group.AllReduce'"),
        Verify.Diagnostic(Descriptors.ReplicaReducedAgain).WithLocation(2).WithArguments("y", FromDown, "Ops.AllReduce"),
        Verify.Diagnostic(Descriptors.ReplicaReducedAgain).WithLocation(3)
            .WithArguments("x", "the input 'x' of the module's Forward, replicated unless Forward declares a [PlacementContract]", "Ops.AllReduce"));

    [Fact]
    public Task Partial_sums_averages_other_groups_and_unknown_values_are_not_flagged() => Verify.VerifyAsync(WithGroups("""
            private readonly ProcessGroup _tp;
            private readonly ProcessGroup _dp;
            private readonly ProcessGroup _group;

            public Block(DeviceMesh mesh, ProcessGroup group)
            {
                _tp = mesh.TensorParallel;
                _dp = mesh.DataParallel;
                _group = group;
            }

            // A tensor handed in by a caller: its placement is not known here.
            public void Sync(DTensor u) => _tp.AllReduce(u.LocalSpan);

            public DTensor Forward(DTensor x)
            {
                // A partial sum, on every path or on one: its reduce is the right one.
                var p = DownPartial.Forward(Up.Forward(x));
                _tp.AllReduce(p.LocalSpan);
                var q = x.Tokens > 1 ? DownPartial.Forward(Up.Forward(x)) : Down.Forward(Up.Forward(x));
                var r = Ops.AllReduce(q);
                // A replica averaged stays itself; a group of unknown role, and the data-parallel one, are other rules' business.
                var y = Down.Forward(Up.Forward(x));
                _tp.AllReduce(y.LocalSpan, ReduceOp.Average);
                _dp.AllReduce(y.LocalSpan);
                _group.AllReduce(y.LocalSpan);
                return r + y;
            }
        """));
}
