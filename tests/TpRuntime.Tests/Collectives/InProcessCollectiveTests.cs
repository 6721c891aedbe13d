using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Tests.Collectives;

/// <summary>Every collective of the in-process backend against a sequential reference, for group sizes and lengths that do not divide.</summary>
public class InProcessCollectiveTests
{
    public static TheoryData<int, int> SizesAndLengths()
    {
        var data = new TheoryData<int, int>();
        foreach (int size in new[] { 1, 2, 3, 4, 7 })
            foreach (int length in new[] { 1, 5, 1000, 40_001 })
                data.Add(size, length);
        return data;
    }

    [Theory]
    [MemberData(nameof(SizesAndLengths))]
    public void AllReduce_matches_the_sequential_reduction(int size, int length)
    {
        foreach (var op in Enum.GetValues<ReduceOp>())
        {
            var expected = CollectiveInputs.Reduced(size, length, op);
            var results = InProcessWorld.Run(size, group =>
            {
                var buffer = CollectiveInputs.For(group.Rank, length);
                group.AllReduce(buffer, op);
                return buffer;
            });
            for (int rank = 0; rank < size; rank++)
                CollectiveInputs.AssertClose(expected, results[rank], $"AllReduce {op}, size {size}, length {length}, rank {rank}");
            // Every rank must hold bit-identical results, or replicas drift apart.
            for (int rank = 1; rank < size; rank++)
                Assert.Equal(results[0], results[rank]);
        }
    }

    [Theory]
    [MemberData(nameof(SizesAndLengths))]
    public void AllGather_concatenates_in_rank_order(int size, int length)
    {
        var results = InProcessWorld.Run(size, group =>
        {
            var receive = new float[length * group.Size];
            group.AllGather(CollectiveInputs.For(group.Rank, length), receive);
            return receive;
        });
        var expected = Enumerable.Range(0, size).SelectMany(r => CollectiveInputs.For(r, length)).ToArray();
        foreach (var result in results) Assert.Equal(expected, result);
    }

    [Theory]
    [MemberData(nameof(SizesAndLengths))]
    public void ReduceScatter_leaves_block_r_of_the_sum_on_rank_r(int size, int length)
    {
        var expected = CollectiveInputs.Reduced(size, length * size, ReduceOp.Sum);
        var results = InProcessWorld.Run(size, group =>
        {
            var receive = new float[length];
            group.ReduceScatter(CollectiveInputs.For(group.Rank, length * group.Size), receive);
            return receive;
        });
        for (int rank = 0; rank < size; rank++)
            CollectiveInputs.AssertClose(expected.AsSpan(rank * length, length), results[rank], $"ReduceScatter size {size} rank {rank}");
    }

    [Theory]
    [MemberData(nameof(SizesAndLengths))]
    public void Broadcast_copies_the_root_buffer_from_every_root(int size, int length)
    {
        for (int root = 0; root < size; root++)
        {
            int r = root;
            var results = InProcessWorld.Run(size, group =>
            {
                var buffer = CollectiveInputs.For(group.Rank, length);
                group.Broadcast(buffer, r);
                return buffer;
            });
            foreach (var result in results) Assert.Equal(CollectiveInputs.For(r, length), result);
        }
    }

    [Fact]
    public void Collectives_repeat_back_to_back_without_corrupting_each_other()
    {
        const int size = 4, rounds = 300;
        var sums = InProcessWorld.Run(size, group =>
        {
            var totals = new float[rounds];
            for (int round = 0; round < rounds; round++)
            {
                float[] value = [group.Rank + round];
                group.AllReduce(value);
                group.Barrier();
                totals[round] = value[0];
            }
            return totals;
        });
        for (int round = 0; round < rounds; round++)
            foreach (var totals in sums)
                Assert.Equal(0 + 1 + 2 + 3 + size * round, totals[round]);
    }

    [Fact]
    public void Split_builds_a_dp_by_tp_mesh_with_working_subgroups()
    {
        const int dp = 2, tp = 3;
        var seen = InProcessWorld.Run(dp * tp, world =>
        {
            var mesh = DeviceMesh.Create(world, dp, tp);
            float[] tpSum = [world.Rank];
            mesh.TensorParallel.AllReduce(tpSum);
            float[] dpSum = [world.Rank];
            mesh.DataParallel.AllReduce(dpSum);
            return (TpRank: mesh.TensorParallel.Rank, TpSize: mesh.TensorParallel.Size, DpRank: mesh.DataParallel.Rank, TpSum: tpSum[0], DpSum: dpSum[0]);
        });
        for (int rank = 0; rank < dp * tp; rank++)
        {
            int replica = rank / tp, shard = rank % tp;
            Assert.Equal(shard, seen[rank].TpRank);
            Assert.Equal(tp, seen[rank].TpSize);
            Assert.Equal(replica, seen[rank].DpRank);
            Assert.Equal(Enumerable.Range(replica * tp, tp).Sum(), seen[rank].TpSum);
            Assert.Equal(Enumerable.Range(0, dp).Sum(d => d * tp + shard), seen[rank].DpSum);
        }
    }

    [Fact]
    public void Split_orders_members_by_key()
    {
        var ranks = InProcessWorld.Run(4, world => world.Split(color: 0, key: -world.Rank).Rank);
        Assert.Equal([3, 2, 1, 0], ranks);
    }

    [Fact]
    public void Counters_record_calls_and_bytes_per_kind()
    {
        var counters = InProcessWorld.Run(2, group =>
        {
            group.AllReduce(new float[10]);
            group.AllGather(new float[3], new float[6]);
            group.Barrier();
            return (AllReduce: group.Counters.Calls(CollectiveKind.AllReduce), Bytes: group.Counters.Bytes(CollectiveKind.AllReduce),
                Data: group.Counters.DataCalls);
        });
        Assert.All(counters, c => Assert.Equal((1L, 40L, 2L), (c.AllReduce, c.Bytes, c.Data)));
    }

    [Fact]
    public void Collectives_do_not_allocate_on_the_hot_path()
    {
        var allocated = InProcessWorld.Run(3, group =>
        {
            var buffer = new float[999];
            var gathered = new float[999 * group.Size];
            var block = new float[333];
            void Round()
            {
                group.AllReduce(buffer);
                group.AllGather(buffer, gathered);
                group.ReduceScatter(buffer, block);
                group.Broadcast(buffer, root: 1);
                group.Barrier();
            }
            Round(); // first calls may JIT and initialise statics
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) Round();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.All(allocated, bytes => Assert.Equal(0, bytes));
    }

    [Fact]
    public void Overlapping_buffers_are_refused_alike_on_every_backend()
    {
        var group = InProcessWorld.CreateGroups(1)[0];
        var buffer = new float[8];
        var gather = Assert.Throws<ArgumentException>(() => group.AllGather(buffer.AsSpan(1, 4), buffer.AsSpan(0, 4)));
        Assert.Contains("send overlaps receive at element 1", gather.Message);
        var scatter = Assert.Throws<ArgumentException>(() => group.ReduceScatter(buffer.AsSpan(0, 4), buffer.AsSpan(0, 4)));
        Assert.Contains("send and receive overlap", scatter.Message);
    }

    [Fact]
    public void AllGather_in_place_from_the_rank_s_own_block_works()
    {
        var results = InProcessWorld.Run(3, group =>
        {
            var receive = new float[6];
            receive[group.Rank * 2] = group.Rank;
            receive[group.Rank * 2 + 1] = 10 + group.Rank;
            group.AllGather(receive.AsSpan(group.Rank * 2, 2), receive);
            return receive;
        });
        Assert.All(results, r => Assert.Equal([0f, 10, 1, 11, 2, 12], r));
    }

    [Fact]
    public void Buffers_of_the_wrong_length_are_rejected_before_any_rank_waits()
    {
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
            group.AllGather(new float[3], new float[5])));
        var inner = Assert.IsType<ArgumentException>(error.InnerException);
        Assert.Contains("receive holds 5 floats but must hold size * send = 2 * 3 = 6", inner.Message);
    }
}
