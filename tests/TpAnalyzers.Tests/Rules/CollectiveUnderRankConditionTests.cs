using TpCodegen.Analyzers.Tests.Verifiers;
using TpCodegen.Analyzers.Rules;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.CollectiveUnderRankConditionAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class CollectiveUnderRankConditionTests
{
    private const string Usings = "using System;\nusing TpCodegen;\nusing TpCodegen.Collectives;\n";

    [Fact]
    public Task Collective_inside_a_rank_branch_is_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Step(ProcessGroup group, float[] loss)
            {
                if (group.Rank == 0)
                {
                    {|#0:group.AllReduce(loss)|};
                    Console.WriteLine(loss[0]);
                }
                else
                {
                    {|#1:group.Barrier()|};
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'group.AllReduce'", "'group.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'group.Barrier'", "'group.Rank == 0' does not hold"));

    [Fact]
    public Task Local_functions_and_delegates_that_run_a_collective_are_followed() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Step(ProcessGroup tp, float[] grads)
            {
                void Sync() => tp.AllReduce(grads);
                Action flush = () => tp.Barrier();
                Action log = () => Console.WriteLine(grads[0]);
                if (tp.Rank == 0)
                {
                    {|#0:Sync()|};
                    {|#1:flush()|};
                    log();
                }
                Sync();
                flush();
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'Sync', which runs 'tp.AllReduce'", "'tp.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'flush', which runs 'tp.Barrier'", "'tp.Rank == 0' holds"));

    [Fact]
    public Task A_predicate_method_that_reads_the_rank_is_a_rank_condition() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static bool IsFirst(ProcessGroup g) => g.Rank == 0;
            static bool IsLarge(ProcessGroup g) => g.Size > 4;

            static void Step(DeviceMesh mesh, float[] loss)
            {
                var tp = mesh.TensorParallel;
                if (IsFirst(tp)) {|#0:tp.Barrier()|};
                if (IsLarge(tp)) tp.AllReduce(loss);
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'tp.Barrier'", "'IsFirst(tp)' holds"));

    [Fact]
    public Task Methods_that_run_collectives_are_followed_into() => Verify.VerifyAsync(Usings + """
        partial class Mlp
        {
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(8, 4);

            public DTensor Forward(DTensor x) => Down.Forward(x);
        }

        class Trainer
        {
            private readonly Mlp _mlp = new();

            private void Sync(ProcessGroup group) => Flush(group);

            private static void Flush(ProcessGroup group) => group.Barrier();

            private static void Log(DTensor x) => Console.WriteLine(x.Tokens);

            void Step(ProcessGroup tp, DTensor x)
            {
                if (tp.Rank == 0)
                {
                    var y = {|#0:_mlp.Forward(x)|};
                    {|#1:Sync(tp)|};
                    Log(y);
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0)
            .WithArguments("'_mlp.Forward', which runs 'Down.Forward' (the forward of tensor-parallel layer 'Down')", "'tp.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1)
            .WithArguments("'Sync', which runs 'group.Barrier'", "'tp.Rank == 0' holds"));

    [Fact]
    public Task Interface_calls_whose_every_implementation_runs_a_collective_are_flagged() => Verify.VerifyAsync(Usings + """
        interface IBlock { DTensor Forward(DTensor x); }
        interface IProbe { DTensor Forward(DTensor x); }

        partial class Mlp : IBlock, IProbe
        {
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(8, 4);
            public DTensor Forward(DTensor x) => Down.Forward(x);
        }

        abstract partial class Attention : IBlock
        {
            [TensorParallel(Split.Row)] public Linear O { get; } = new(8, 4);
            public abstract DTensor Forward(DTensor x);
        }

        sealed partial class Causal : Attention
        {
            public override DTensor Forward(DTensor x) => Ops.AllReduce(x);
        }

        // Runs nothing collective: a call through IProbe may reach it.
        sealed class Identity : IProbe
        {
            public DTensor Forward(DTensor x) => x;
        }

        class Trainer
        {
            void Step(ProcessGroup tp, IBlock block, Attention attention, IProbe probe, DTensor x)
            {
                if (tp.Rank == 0)
                {
                    _ = {|#0:block.Forward(x)|};
                    _ = {|#1:attention.Forward(x)|};
                    _ = probe.Forward(x);
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0)
            .WithArguments("'block.Forward', which runs 'Down.Forward' (the forward of tensor-parallel layer 'Down')", "'tp.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1)
            .WithArguments("'attention.Forward', which runs 'Ops.AllReduce'", "'tp.Rank == 0' holds"));

    [Fact]
    public Task Rank_test_behind_a_property_and_collectives_in_catch_blocks_are_flagged() => Verify.VerifyAsync(Usings + """
        class Trainer
        {
            private readonly ProcessGroup _group;

            public Trainer(ProcessGroup group) => _group = group;

            private bool IsMainProcess => _group.Rank == 0;

            private bool Verbose { get; } = true;

            void Step(float[] loss)
            {
                if (IsMainProcess) {|#0:_group.AllReduce(loss)|};
                if (Verbose) _group.AllReduce(loss);
                try
                {
                    _group.AllReduce(loss);
                }
                catch (InvalidOperationException)
                {
                    {|#1:_group.Barrier()|};
                    throw;
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'_group.AllReduce'", "'IsMainProcess' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'_group.Barrier'", "an exception was caught"));

    [Fact]
    public Task Calls_that_run_collectives_are_flagged() => Verify.VerifyAsync(Usings + """
        partial class Mlp
        {
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(8, 4);

            DTensor Forward(DTensor x, ProcessGroup world, int rank)
            {
                bool isRoot = x.Group.Rank == 0;
                var y = isRoot ? {|#0:Down.Forward(x)|} : x;
                if (rank == 0) _ = {|#1:y.FullTensor()|};
                if (isRoot) y = {|#2:Ops.AllReduce(y)|};
                if (world.Rank < 4) _ = {|#3:DeviceMesh.Create(world, 1, 4)|};
                return rank == 0 ? {|#4:y.Redistribute(Placement.Replicate)|} : y;
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0)
            .WithArguments("'Down.Forward' (the forward of tensor-parallel layer 'Down')", "'isRoot' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'y.FullTensor'", "'rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(2).WithArguments("'Ops.AllReduce'", "'isRoot' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(3).WithArguments("'DeviceMesh.Create'", "'world.Rank < 4' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(4).WithArguments("'y.Redistribute'", "'rank == 0' holds"));

    [Fact]
    public Task Collective_after_an_early_return_by_rank_is_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Save(ProcessGroup tp, float[] weights)
            {
                if (tp.Rank != 0)
                    return;
                Console.WriteLine("saving");
                {|#0:tp.Broadcast(weights, root: 0)|};
            }

            static void Loop(ProcessGroup tp, float[] buffer)
            {
                for (int step = 0; step < 10; step++)
                {
                    if (tp.Rank == 1) { continue; }
                    {|#1:tp.AllReduce(buffer)|};
                }
                while (tp.Rank > 0)
                {
                    {|#2:tp.Barrier()|};
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'tp.Broadcast'", "'tp.Rank != 0' does not hold (the others leave early)"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'tp.AllReduce'", "'tp.Rank == 1' does not hold (the others leave early)"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(2).WithArguments("'tp.Barrier'", "'tp.Rank > 0' holds"));

    [Fact]
    public Task Rank_switch_and_short_circuit_are_flagged() => Verify.VerifyAsync(Usings + """
        class Training
        {
            static void Step(ProcessGroup group, DTensor y, float[] buffer)
            {
                switch (group.Rank)
                {
                    case 0:
                        {|#0:group.AllReduce(buffer)|};
                        break;
                }
                bool hasTokens = group.Rank == 0 && {|#1:y.Redistribute(Placement.Replicate)|}.Tokens > 0;
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'group.AllReduce'", "the switch on 'group.Rank' picks this case"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'y.Redistribute'", "'group.Rank == 0' holds"));

    [Fact]
    public Task Collectives_every_rank_reaches_are_not_flagged() => Verify.VerifyAsync(Usings + """
        partial class LlamaMlp(int hidden, int intermediate)
        {
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate);
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden);

            public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));

            public void Report(DTensor x, ProcessGroup group, float[] loss)
            {
                var y = Forward(x);
                group.AllReduce(loss, ReduceOp.Average);
                // Rank-local work under a rank condition is the right pattern.
                if (group.Rank == 0) Console.WriteLine($"loss {loss[0]} {y}");
                // Both branches call the same collective: balanced.
                if (group.Rank == 0) group.Broadcast(loss, 0); else group.Broadcast(loss, 0);
                // A condition on the size is the same on every rank.
                if (group.Size > 1) group.Barrier();
                // Replicate -> Shard(-1) only keeps the local slice.
                if (group.Rank == 0) _ = x.Redistribute(Placement.Shard(-1));
                // A dense (unmarked) layer runs no collective.
                var dense = new Linear(4, 4);
                if (group.Rank == 0) _ = dense.Forward(x);
                // Argument checks throw on every rank or none.
                if (group.Rank >= group.Size) throw new InvalidOperationException();
                group.Barrier();
            }

            public void Later(ProcessGroup group)
            {
                // The lambda runs wherever it is invoked; the condition around its creation says nothing about that.
                Action sync = () => group.Barrier();
                if (group.Rank == 0) Console.WriteLine("ready");
                sync();
            }
        }
        """);

    [Fact]
    public Task A_mesh_rank_that_is_the_same_across_the_collectives_group_does_not_split_it() => Verify.VerifyAsync(Usings + """
        class Checkpointing
        {
            // Every rank of one tensor-parallel group has the same data-parallel rank, and every rank of one data-parallel
            // group the same tensor-parallel rank: these branches are entered by whole groups.
            static void SaveFirstReplica(DeviceMesh mesh, float[] shard, float[] full, float[] loss)
            {
                var tp = mesh.TensorParallel;
                var dp = mesh.DataParallel;
                if (dp.Rank == 0)
                {
                    tp.AllGather(shard, full);
                    Export(tp, shard, full);
                    {|#0:dp.Barrier()|};
                    {|#1:mesh.World.Barrier()|};
                }
                ReportLoss(mesh, loss);
                int replica = mesh.DataParallel.Rank;
                if (replica != 0) return;
                tp.Broadcast(full, 0);
                {|#3:dp.Barrier()|};
            }

            static void ReportLoss(DeviceMesh mesh, float[] loss)
            {
                if (mesh.TensorParallel.Rank == 0)
                {
                    mesh.DataParallel.AllReduce(loss, ReduceOp.Average);
                    {|#2:mesh.TensorParallel.AllReduce(loss)|};
                }
            }

            static void Export(ProcessGroup group, float[] shard, float[] full) => group.AllGather(shard, full);
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'dp.Barrier'", "'dp.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'mesh.World.Barrier'", "'dp.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(2).WithArguments("'mesh.TensorParallel.AllReduce'", "'mesh.TensorParallel.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(3).WithArguments("'dp.Barrier'", "'replica != 0' does not hold (the others leave early)"));

    [Fact]
    public Task A_helper_running_tensor_parallel_collectives_only_is_not_split_by_the_data_parallel_rank() => Verify.VerifyAsync(Usings + """
        partial class Block
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(256, 64);

            public DTensor Forward(DTensor x) => Down.Forward(Up.Forward(x));
        }

        class Evaluation
        {
            // Only the first replica evaluates; its tensor-parallel group runs the forward together.
            static void Evaluate(DeviceMesh mesh, Block block, DTensor x, float[] metric)
            {
                if (mesh.DataParallel.Rank == 0) block.Forward(x);
                if (mesh.DataParallel.Rank == 0) {|#0:Report(mesh, metric)|};
                if (mesh.World.Rank == 0) {|#1:block.Forward(x)|};
            }

            static void Report(DeviceMesh mesh, float[] metric) => mesh.DataParallel.AllReduce(metric);
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'Report', which runs 'mesh.DataParallel.AllReduce'", "'mesh.DataParallel.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1)
            .WithArguments("'block.Forward', which runs 'Down.Forward' (the forward of tensor-parallel layer 'Down')", "'mesh.World.Rank == 0' holds"));

    [Fact]
    public Task Exceptions_the_runtime_raises_on_every_rank_may_be_caught_and_retried_together() => Verify.VerifyAsync(Usings + """
        class Retry
        {
            static void Reduce(ProcessGroup tp, float[] grads)
            {
                for (int attempt = 0; ; attempt++)
                {
                    try
                    {
                        tp.AllReduce(grads);
                        return;
                    }
                    catch (CollectiveMismatchException) when (attempt < 3)
                    {
                        tp.Barrier();
                    }
                    catch (CollectiveDeadlockException)
                    {
                        tp.Barrier();
                    }
                    catch (CollectiveMismatchException) when (tp.Rank == 0)
                    {
                        {|#0:tp.Barrier()|};
                    }
                    catch (RankFailedException)
                    {
                        {|#1:tp.Barrier()|};
                    }
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'tp.Barrier'", "an exception was caught"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'tp.Barrier'", "an exception was caught"));

    [Fact]
    public Task A_loop_counter_named_rank_is_not_the_process_rank() => Verify.VerifyAsync(Usings + """
        class Exchange
        {
            // Every rank runs the same loop: root by root, each broadcasts its piece.
            static void AllToAll(ProcessGroup tp, float[] mine, int n)
            {
                for (int rank = 0; rank < tp.Size; rank++)
                {
                    var piece = rank == tp.Rank ? mine : new float[n];
                    tp.Broadcast(piece, rank);
                }
                int root = tp.Rank;
                for (int rank = root; rank < tp.Size; rank++)
                {
                    {|#0:tp.Barrier()|};
                }
            }

            static void Send(ProcessGroup tp, int rank, float[] data)
            {
                if (rank == 0) {|#1:tp.Broadcast(data, 0)|};
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'tp.Barrier'", "'rank < tp.Size' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'tp.Broadcast'", "'rank == 0' holds"));

    [Fact]
    public Task A_flag_field_or_property_given_a_rank_test_is_a_rank_condition() => Verify.VerifyAsync(Usings + """
        class Trainer
        {
            private readonly ProcessGroup _tp;
            private readonly bool _isMaster;
            private readonly bool _firstReplica;
            private readonly bool _verbose;

            public Trainer(DeviceMesh mesh, bool verbose)
            {
                _tp = mesh.TensorParallel;
                _isMaster = mesh.World.Rank == 0;
                IsMaster = mesh.World.Rank == 0;
                _firstReplica = mesh.DataParallel.Rank == 0;
                _verbose = verbose;
            }

            public bool IsMaster { get; }

            public void Step(float[] grads)
            {
                if (_isMaster) {|#0:_tp.Barrier()|};
                if (IsMaster) {|#1:_tp.AllReduce(grads)|};
                // Every rank of a tensor-parallel group has the same data-parallel rank, and a flag from the
                // configuration is the same on every rank.
                if (_firstReplica) _tp.AllReduce(grads);
                if (_verbose) _tp.Barrier();
                if (_isMaster) Console.WriteLine(grads[0]);
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'_tp.Barrier'", "'_isMaster' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'_tp.AllReduce'", "'IsMaster' holds"));

    [Fact]
    public Task A_flag_made_the_same_on_every_rank_by_a_collective_is_no_rank_condition() => Verify.VerifyAsync(Usings + """
        class Generation
        {
            static void Generate(ProcessGroup tp, Func<bool> stop, float[] state)
            {
                while (true)
                {
                    var flag = new[] { tp.Rank == 0 && stop() ? 1f : 0f };
                    tp.Broadcast(flag, 0);
                    if (flag[0] > 0) break;
                    tp.AllReduce(state);
                }
                while (true)
                {
                    var vote = new[] { tp.Rank == 0 && stop() ? 1f : 0f };
                    tp.AllReduce(vote, ReduceOp.Max);
                    if (vote[0] > 0) break;
                    tp.AllReduce(state);
                }
                while (true)
                {
                    // Sent, never received: the flag is still this rank's own.
                    var mine = new[] { tp.Rank == 0 && stop() ? 1f : 0f };
                    {|#1:tp.AllGather(mine, new float[tp.Size])|};
                    if (mine[0] > 0) break;
                    {|#0:tp.AllReduce(state)|};
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'tp.AllReduce'", "'mine[0] > 0' does not hold (the others leave early)"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'tp.AllGather'", "'mine[0] > 0' does not hold (the others leave the loop)"));

    [Fact]
    public Task A_rank_that_is_no_process_rank_is_judged_by_where_it_comes_from() => Verify.VerifyAsync(Usings + """
        using System.Linq;

        // A LoRA adapter's rank: a matrix rank, the same on every process.
        public sealed partial class LoraColumn(int hidden, int ffn, int rank)
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, ffn);
            [TensorParallel(Split.Column)] public Linear B { get; } = new(8, ffn);
            public Linear A { get; } = new(hidden, 8);

            public DTensor Forward(DTensor x)
            {
                var h = Up.Forward(x);
                if (rank > 0) h = h + B.Forward(A.Forward(x));
                return h;
            }
        }

        // The same, never made in this compilation: a module's constructor takes sizes and settings.
        public sealed partial class LoraRow(int rank)
        {
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(256, 64);

            public DTensor Forward(DTensor x)
            {
                var h = x;
                if (rank > 0) h = Down.Forward(x);
                return h;
            }
        }

        static class Use
        {
            static LoraColumn Make() => new LoraColumn(64, 256, rank: 8);

            // A budget, not a rank.
            public static void Skip(ProcessGroup tp, int minRank, float[] data)
            {
                if (minRank > 2) return;
                tp.Barrier();
            }

            static void Step(ProcessGroup tp, int rank, float[] data)
            {
                if (rank == 0) {|#0:tp.Barrier()|};
            }

            static void Run(ProcessGroup tp, float[] data, float[][] hypotheses)
            {
                Step(tp, tp.Rank, data);
                // A beam's position in the list, not a process rank.
                foreach (var (h, rank) in hypotheses.Select((h, i) => (h, i)))
                {
                    if (rank >= 2) break;
                    tp.AllReduce(h);
                }
                foreach (var rank in new[] { tp.Rank })
                {
                    if (rank == 0) {|#1:tp.AllReduce(data)|};
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'tp.Barrier'", "'rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'tp.AllReduce'", "'rank == 0' holds"));

    [Fact]
    public Task Branches_that_run_the_same_collectives_through_different_calls_are_balanced() => Verify.VerifyAsync(Usings + """
        public sealed partial class Mlp
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(256, 64);

            public DTensor Forward(DTensor x) => Down.Forward(Up.Forward(x));

            public DTensor ForwardAndLog(DTensor x)
            {
                var y = Forward(x);
                Console.WriteLine(y.Tokens);
                return y;
            }
        }

        static class Generation
        {
            static DTensor Step(ProcessGroup tp, Mlp mlp, DTensor x, float[] data)
            {
                DTensor y;
                if (tp.Rank == 0) y = mlp.ForwardAndLog(x);
                else y = mlp.Forward(x);
                if (tp.Rank == 0) {|#0:mlp.Forward(x)|};
                else {|#1:tp.AllReduce(data)|};
                return y;
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0)
            .WithArguments("'mlp.Forward', which runs 'Down.Forward' (the forward of tensor-parallel layer 'Down')", "'tp.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'tp.AllReduce'", "'tp.Rank == 0' does not hold"));

    [Fact]
    public Task TpRuntime_apis_that_run_collectives_count_as_collectives() => Verify.VerifyAsync(Usings + """
        using TpCodegen.Training;

        public sealed partial class Lm
        {
            [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(1000, 64);
            [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(64, 1000);
        }

        static class Generation
        {
            static void Stream(ProcessGroup tp, DeviceMesh mesh, Lm lm, DTensor hidden, int[] ids, int[] targets)
            {
                var logits = lm.Head.Forward(hidden);
                // Every rank picks the token; only rank 0 prints it.
                var next = VocabParallel.Argmax(logits);
                if (tp.Rank == 0) Console.Write(next[0]);
                // The classic deadlock: the pick runs an all-gather that only rank 0 enters.
                if (tp.Rank == 0) Console.Write({|#0:VocabParallel.Argmax(logits)|}[0]);
                if (mesh.World.Rank == 0) {|#1:VocabParallelCrossEntropy.Loss(logits, targets, 1000)|};
                if (tp.Rank == 0) {|#2:lm.Embed.Forward(ids, tp)|};
                // Every rank of a tensor-parallel group shares its data-parallel rank.
                if (mesh.DataParallel.Rank == 0) VocabParallel.Argmax(logits);
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'VocabParallel.Argmax'", "'tp.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(1).WithArguments("'VocabParallelCrossEntropy.Loss'", "'mesh.World.Rank == 0' holds"),
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(2).WithArguments("'lm.Embed.Forward'", "'tp.Rank == 0' holds"));

    [Fact]
    public Task A_loop_left_on_some_ranks_leaves_the_others_in_the_next_pass_alone() => Verify.VerifyAsync(Usings + """
        static class Generation
        {
            static void Generate(ProcessGroup tp, float[] state, Func<bool> keyPressed)
            {
                while (true)
                {
                    {|#0:tp.AllReduce(state)|};
                    if (tp.Rank == 0 && keyPressed()) break;
                }
                for (int step = 0; step < 100; step++)
                {
                    tp.AllReduce(state);
                    // The stop decided on rank 0 and broadcast: every rank leaves together.
                    var stop = new[] { tp.Rank == 0 && keyPressed() ? 1f : 0f };
                    tp.Broadcast(stop, 0);
                    if (stop[0] > 0) break;
                    if (tp.Rank == 0) Console.WriteLine(step);
                }
            }
        }
        """,
        Verify.Diagnostic(Descriptors.CollectiveUnderRankCondition).WithLocation(0).WithArguments("'tp.AllReduce'", "'tp.Rank == 0 && keyPressed()' does not hold (the others leave the loop)"));
}
