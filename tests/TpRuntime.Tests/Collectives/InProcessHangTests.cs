using System.Collections.Concurrent;
using System.Diagnostics;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Tests.Collectives;

/// <summary>
/// The ways a run could hang that need more than one group or one call to see: a retry after a caught mismatch,
/// collectives of different groups waiting on each other, a rank that never comes, one rank on two threads.
/// Every test bounds the run, so a hang fails the test instead of stalling the suite.
/// </summary>
public class InProcessHangTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="action"/> on its own thread and fails if it has not finished within <see cref="Bound"/>.</summary>
    internal static void WithinBound(Action action, string what)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(Bound), $"{what} hung: still running after {Bound.TotalSeconds} s");
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
    }

    [Fact]
    public void A_caught_mismatch_followed_by_a_retry_never_hangs_and_the_retry_is_exact()
    {
        // The snippet: before the fix the faster rank reposted while the slower one still compared, and
        // both then waited forever. Hundreds of runs give the race every chance.
        WithinBound(() =>
        {
            for (int run = 0; run < 400; run++)
            {
                var mismatches = new int[2];
                var sums = InProcessWorld.Run(2, g =>
                {
                    try { g.AllReduce(new float[g.Rank == 0 ? 16 : 8]); }
                    catch (CollectiveMismatchException) { mismatches[g.Rank]++; }
                    var retry = new float[8];
                    Array.Fill(retry, g.Rank + 1);
                    g.AllReduce(retry);
                    return retry;
                });
                Assert.Equal([1, 1], mismatches);
                Assert.All(sums, sum => Assert.All(sum, v => Assert.Equal(3f, v)));
            }
        }, "mismatch then retry");
    }

    [Fact]
    public void Rank_0_in_the_world_and_rank_1_in_a_subgroup_of_the_same_ranks_are_both_released_with_what_each_waits_in()
    {
        var seen = new ConcurrentDictionary<int, string>();
        WithinBound(() => InProcessWorld.Run(2, world =>
        {
            using var sub = world.Split(color: 0, key: world.Rank);
            try
            {
                if (world.Rank == 0) world.AllReduce(new float[16]);
                else sub.AllReduce(new float[8]);
            }
            catch (CollectiveDeadlockException e) { seen[world.Rank] = e.Message; }
            // Released together, the ranks agree again and carry on.
            var after = new float[4];
            Array.Fill(after, 1f);
            world.AllReduce(after);
            Assert.All(after, v => Assert.Equal(2f, v));
        }), "cross-group deadlock");

        Assert.Equal(2, seen.Count);
        Assert.All(seen.Values, message =>
        {
            Assert.Contains("world rank 0 waits in AllReduce(16 floats, Sum) (call #2) on world (rank 0 of 2)", message);
            Assert.Contains("world rank 1 waits in AllReduce(8 floats, Sum) (call #1) on world/split[0](0,1) (rank 1 of 2)", message);
        });
    }

    [Fact]
    public void A_tensor_parallel_and_data_parallel_cycle_on_a_2x2_mesh_releases_all_four_ranks()
    {
        // Ranks 0 and 3 enter their tp group first, ranks 1 and 2 their dp group: 0 waits for 1 (tp), 1 for 3 (dp),
        // 3 for 2 (tp), 2 for 0 (dp). No group can complete.
        var seen = new ConcurrentDictionary<int, string>();
        var error = Assert.Throws<RankFailedException>(() => WithinBound(() => InProcessWorld.Run(4, world =>
        {
            using var mesh = DeviceMesh.Create(world, dataParallel: 2, tensorParallel: 2);
            var buffer = new float[32];
            try
            {
                if (world.Rank is 0 or 3) { mesh.TensorParallel.AllReduce(buffer); mesh.DataParallel.AllReduce(buffer); }
                else { mesh.DataParallel.AllReduce(buffer); mesh.TensorParallel.AllReduce(buffer); }
            }
            catch (CollectiveDeadlockException e) { seen[world.Rank] = e.Message; throw; }
        }), "2x2 cycle"));

        Assert.IsType<CollectiveDeadlockException>(error.InnerException);
        Assert.Equal(4, seen.Count);
        Assert.Single(seen.Values.Distinct());
        string message = seen[0];
        Assert.Contains("world rank 0 waits in AllReduce(32 floats, Sum) (call #1) on world/split[0](0,1) (rank 0 of 2)", message);
        Assert.Contains("world rank 1 waits in AllReduce(32 floats, Sum) (call #1) on world/split[1](1,3) (rank 0 of 2)", message);
        Assert.Contains("world rank 2 waits in AllReduce(32 floats, Sum) (call #1) on world/split[0](0,2) (rank 1 of 2)", message);
        Assert.Contains("world rank 3 waits in AllReduce(32 floats, Sum) (call #1) on world/split[1](2,3) (rank 1 of 2)", message);
    }

    [Fact]
    public void Ranks_that_wait_in_the_same_group_a_little_apart_are_not_mistaken_for_a_deadlock()
    {
        // Every rank sleeps in the world's all-reduce until the last arrives: all are blocked, but the phase can
        // complete, so the detector must stay silent. Staggered arrivals over many rounds exercise its two scans.
        WithinBound(() =>
        {
            var results = InProcessWorld.Run(4, world =>
            {
                using var mesh = DeviceMesh.Create(world, 2, 2);
                var buffer = new float[64];
                for (int round = 0; round < 200; round++)
                {
                    if (round % 7 == world.Rank) Thread.Sleep(2);
                    Array.Fill(buffer, 1f);
                    var group = round % 3 == 0 ? world : round % 3 == 1 ? mesh.TensorParallel : mesh.DataParallel;
                    group.AllReduce(buffer);
                    Assert.All(buffer, v => Assert.Equal(group.Size, v));
                }
                return true;
            });
            Assert.All(results, Assert.True);
        }, "staggered collectives");
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(4, 2)]
    public void The_rank_that_never_enters_is_the_failed_rank(int size, int absent)
    {
        var error = Assert.Throws<RankFailedException>(() => WithinBound(() => InProcessWorld.Run(size, group =>
        {
            if (group.Rank != absent) group.AllReduce(new float[4]);
        }), "abandoned collective"));

        Assert.Equal(absent, error.FailedRank);
        var abandoned = Assert.IsType<CollectiveAbandonedException>(error.InnerException);
        Assert.Equal(absent, abandoned.AbsentRank);
        Assert.Contains($"Rank {absent} of {size} finished its work without entering a collective", error.Message);
    }

    [Fact]
    public void One_rank_entering_a_collective_from_a_second_thread_fails_clearly_and_the_first_completes()
    {
        // Rank 0's first thread waits in an all-reduce that rank 1 joins only after rank 0's second thread has
        // tried its own: the two calls certainly overlap.
        Exception? second = null;
        float[]? first = null;
        using var secondTried = new ManualResetEventSlim();
        WithinBound(() => InProcessWorld.Run(2, group =>
        {
            if (group.Rank == 1)
            {
                Assert.True(secondTried.Wait(Bound), "rank 0's second thread never tried");
                var ones = new float[8];
                Array.Fill(ones, 1f);
                group.AllReduce(ones);
                return;
            }
            var firstThread = new Thread(() =>
            {
                var buffer = new float[8];
                Array.Fill(buffer, 2f);
                group.AllReduce(buffer);
                first = buffer;
            });
            firstThread.Start();
            Thread.Sleep(50); // let the first thread enter and block
            try { group.AllReduce(new float[8]); }
            catch (InvalidOperationException e) { second = e; }
            secondTried.Set();
            firstThread.Join();
        }), "one rank on two threads");

        var error = Assert.IsType<InvalidOperationException>(second);
        Assert.Contains("AllReduce(8 floats, Sum) on world (rank 0 of 2, world rank 0): this rank is already inside a collective on world on another thread", error.Message);
        Assert.NotNull(first);
        Assert.All(first!, v => Assert.Equal(3f, v));
    }

    [Fact]
    public void The_collective_timeout_refuses_a_zero_or_negative_value_and_keeps_a_positive_one()
    {
        var before = CollectiveOptions.Timeout;
        try
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => CollectiveOptions.Timeout = TimeSpan.Zero);
            Assert.Contains("The collective timeout must be positive", error.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => CollectiveOptions.Timeout = TimeSpan.FromSeconds(-1));
            CollectiveOptions.Timeout = TimeSpan.FromSeconds(2.5);
            Assert.Equal(TimeSpan.FromSeconds(2.5), CollectiveOptions.Timeout);
        }
        finally
        {
            CollectiveOptions.Timeout = before;
        }
    }
}
