using System.Collections.Concurrent;
using System.Diagnostics;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Tests.Collectives;

/// <summary>A run never hangs: failures release the other ranks, and disagreements are named on every rank.</summary>
public class InProcessFaultTests
{
    // A hang would be caught by this bound instead of stalling the suite; a release takes milliseconds.
    private static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(2, 1)]
    [InlineData(4, 0)]
    [InlineData(7, 5)]
    public void A_rank_that_throws_releases_every_rank_waiting_in_a_collective(int size, int failing)
    {
        var seen = new ConcurrentDictionary<int, Exception>();
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(size, group =>
        {
            if (group.Rank == failing)
            {
                Thread.Sleep(50); // let the others block first
                throw new InvalidOperationException("weights file is corrupt");
            }
            try
            {
                group.AllReduce(new float[1024]);
            }
            catch (Exception released)
            {
                seen[group.Rank] = released;
                throw;
            }
        }));
        clock.Stop();

        Assert.True(clock.Elapsed < ReleaseBound, $"release took {clock.Elapsed}");
        Assert.Equal(failing, error.FailedRank);
        Assert.Contains("weights file is corrupt", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(size - 1, seen.Count);
        foreach (var (rank, released) in seen)
        {
            var rankFailed = Assert.IsType<RankFailedException>(released);
            Assert.Equal(failing, rankFailed.FailedRank);
            Assert.Contains($"released because rank {failing} failed: InvalidOperationException: weights file is corrupt", released.Message);
            Assert.Contains($"rank {rank} of {size}", released.Message);
        }
    }

    [Fact]
    public void A_failure_releases_ranks_waiting_in_a_subgroup()
    {
        var seen = new ConcurrentBag<Exception>();
        Assert.Throws<RankFailedException>(() => InProcessWorld.Run(4, world =>
        {
            var mesh = DeviceMesh.Create(world, 2, 2);
            if (world.Rank == 3) throw new InvalidOperationException("out of memory");
            try { mesh.DataParallel.Barrier(); mesh.TensorParallel.AllReduce(new float[8]); }
            catch (Exception e) { seen.Add(e); throw; }
        }));
        Assert.Equal(3, seen.Count);
        Assert.All(seen, e => Assert.Equal(3, Assert.IsType<RankFailedException>(e).FailedRank));
    }

    [Fact]
    public void A_failure_in_another_subgroup_never_lets_a_rank_leave_while_its_buffers_are_in_use()
    {
        // Tensor-parallel group 0 (ranks 0, 1) all-reduces large buffers back to back while rank 3, in the other
        // group, fails. A rank may be released only while no other rank can touch its buffers: every all-reduce
        // that completes must be exact, and the run must end with rank 3's error.
        // The loop runs until the failure releases it; the bound only stops a broken release from spinning forever.
        const int length = 1 << 16, maxRounds = 1_000_000;
        var completed = new ConcurrentBag<(int Rank, int Round, bool Exact)>();
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(4, world =>
        {
            var mesh = DeviceMesh.Create(world, 2, 2);
            if (world.Rank == 3) { Thread.Sleep(20); throw new InvalidOperationException("node lost"); }
            if (world.Rank == 2) return;
            var buffer = new float[length];
            for (int round = 0; round < maxRounds; round++)
            {
                Array.Fill(buffer, world.Rank + 1);
                mesh.TensorParallel.AllReduce(buffer);
                completed.Add((world.Rank, round, Array.TrueForAll(buffer, v => v == 3)));
            }
        }));
        Assert.Equal(3, error.FailedRank);
        Assert.NotEmpty(completed);
        Assert.All(completed, c => Assert.True(c.Exact, $"rank {c.Rank} round {c.Round} read a corrupted sum"));
    }

    [Fact]
    public void Ranks_that_call_different_sizes_all_get_the_same_mismatch_error()
    {
        var seen = new ConcurrentDictionary<int, string>();
        Assert.Throws<RankFailedException>(() => InProcessWorld.Run(3, group =>
        {
            try { group.AllReduce(new float[group.Rank == 2 ? 12 : 10]); }
            catch (CollectiveMismatchException e) { seen[group.Rank] = e.Message; throw; }
        }));
        Assert.Equal(3, seen.Count);
        Assert.Single(seen.Values.Distinct());
        Assert.Contains("rank 0 AllReduce(10 floats, Sum), rank 1 AllReduce(10 floats, Sum), rank 2 AllReduce(12 floats, Sum)", seen[0]);
    }

    [Fact]
    public void Ranks_that_call_different_collectives_are_told_which()
    {
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            if (group.Rank == 0) group.AllReduce(new float[4]);
            else group.Broadcast(new float[4], root: 0);
        }));
        var mismatch = Assert.IsType<CollectiveMismatchException>(error.InnerException);
        Assert.Contains("rank 0 AllReduce(4 floats, Sum), rank 1 Broadcast(4 floats, root 0)", mismatch.Message);
    }

    [Fact]
    public void A_rank_that_finishes_without_entering_a_collective_releases_the_waiting_ones()
    {
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            if (group.Rank == 0) group.AllReduce(new float[4]);
        }));
        Assert.True(clock.Elapsed < ReleaseBound, $"release took {clock.Elapsed}");
        var abandoned = Assert.IsType<CollectiveAbandonedException>(error.InnerException);
        Assert.Contains("rank 1 (world rank 1) finished its work without entering this collective", abandoned.Message);
        Assert.Equal(1, error.FailedRank);
    }
}
