using System.Globalization;
using TpCodegen.Collectives;

namespace TpCodegen.MpiDriver;

/// <summary>
/// Every collective of <see cref="ProcessGroup"/> against a sequential reference that each rank computes
/// alone from the same deterministic per-rank inputs. Rank 0 prints <c>PASS name</c> or <c>FAIL name</c>
/// per check; a failing rank prints its first wrong element to stderr.
/// </summary>
/// <remarks>
/// Inputs are small integers held in floats, so every partial sum is exact whatever order MPI adds in,
/// and the checks can compare for equality.
/// </remarks>
internal sealed class CollectiveChecks(ProcessGroup world, CheckReporter reporter)
{
    private static readonly int[] Lengths = [1, 7, 1000, 4097];
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Average, ReduceOp.Max, ReduceOp.Min];

    /// <summary>The input element <paramref name="index"/> of world rank <paramref name="rank"/> for the check numbered <paramref name="salt"/>.</summary>
    private static float Input(int rank, int index, int salt) => ((rank * 37 + index * 11 + salt * 5) % 29) - 14;

    public void RunAll()
    {
        int salt = 0;
        foreach (int length in Lengths)
            foreach (var op in Ops)
                AllReduce(world, length, op, ++salt);

        foreach (int length in Lengths)
            AllGather(world, length, ++salt);

        foreach (int length in Lengths)
            ReduceScatter(world, length, ReduceOp.Sum, ++salt);
        foreach (var op in Ops.Where(op => op != ReduceOp.Sum))
            ReduceScatter(world, 7, op, ++salt);

        for (int root = 0; root < world.Size; root++)
        {
            Broadcast(world, 1, root, ++salt);
            Broadcast(world, 4097, root, ++salt);
        }

        Barrier();

        if (Launcher.BackendName == "mpi")
            NoAllocation();

        for (int tp = 1; tp <= world.Size; tp++)
            if (world.Size % tp == 0)
                Mesh(world.Size / tp, tp, ++salt);
    }

    // The world ranks whose inputs make up `group`'s reduction; for the world group, all of them.
    private static int[] AllRanks(ProcessGroup group) => Enumerable.Range(0, group.Size).ToArray();

    private void AllReduce(ProcessGroup group, int length, ReduceOp op, int salt, int[]? members = null, string prefix = "")
    {
        members ??= AllRanks(group);
        int me = members[group.Rank];
        var buffer = new float[length];
        for (int i = 0; i < length; i++)
            buffer[i] = Input(me, i, salt);
        var expected = new float[length];
        for (int i = 0; i < length; i++)
            expected[i] = Reduce(members, m => Input(m, i, salt), op);

        group.AllReduce(buffer, op);
        reporter.Report($"{prefix}allreduce {Name(op)} len={length}", Compare(buffer, expected));
    }

    private void AllGather(ProcessGroup group, int length, int salt, int[]? members = null, string prefix = "")
    {
        members ??= AllRanks(group);
        var send = new float[length];
        for (int i = 0; i < length; i++)
            send[i] = Input(members[group.Rank], i, salt);
        var receive = new float[length * group.Size];
        var expected = new float[receive.Length];
        for (int r = 0; r < group.Size; r++)
            for (int i = 0; i < length; i++)
                expected[r * length + i] = Input(members[r], i, salt);

        group.AllGather(send, receive);
        reporter.Report($"{prefix}allgather len={length}", Compare(receive, expected));
    }

    private void ReduceScatter(ProcessGroup group, int length, ReduceOp op, int salt)
    {
        var send = new float[length * group.Size];
        for (int i = 0; i < send.Length; i++)
            send[i] = Input(group.Rank, i, salt);
        var receive = new float[length];
        var expected = new float[length];
        int[] members = AllRanks(group);
        for (int i = 0; i < length; i++)
        {
            int global = group.Rank * length + i;
            expected[i] = Reduce(members, m => Input(m, global, salt), op);
        }

        group.ReduceScatter(send, receive, op);
        reporter.Report($"reducescatter {Name(op)} len={length}", Compare(receive, expected));
    }

    private void Broadcast(ProcessGroup group, int length, int root, int salt)
    {
        var buffer = new float[length];
        for (int i = 0; i < length; i++)
            buffer[i] = Input(group.Rank, i, salt);
        var expected = new float[length];
        for (int i = 0; i < length; i++)
            expected[i] = Input(root, i, salt);

        group.Broadcast(buffer, root);
        reporter.Report($"broadcast root={root} len={length}", Compare(buffer, expected));
    }

    private void Barrier()
    {
        // A barrier has no output to compare; what can be checked is that every rank leaves every one of them
        // and that the group still works afterwards.
        for (int i = 0; i < 10; i++)
            world.Barrier();
        var count = new float[] { 1 };
        world.AllReduce(count);
        reporter.Report("barrier x10", count[0] == world.Size ? null : $"after the barriers, AllReduce of 1 gave {count[0]}, expected {world.Size}");
    }

    // The hot path pins the caller's span and makes one MPI call: after warm-up it must not allocate at all.
    private void NoAllocation()
    {
        var buffer = new float[4097];
        var gathered = new float[buffer.Length * world.Size];
        var scattered = new float[buffer.Length / world.Size];
        void Round()
        {
            world.AllReduce(buffer, ReduceOp.Sum);
            world.AllReduce(buffer, ReduceOp.Average);
            world.AllGather(buffer, gathered);
            world.ReduceScatter(buffer.AsSpan(0, scattered.Length * world.Size), scattered);
            world.Broadcast(buffer, 0);
            world.Barrier();
        }
        Round(); // first calls may JIT and initialise
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            Round();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        reporter.Report("collectives allocate nothing", allocated == 0 ? null : $"100 rounds of every collective allocated {allocated} bytes");
    }

    private void Mesh(int dp, int tp, int salt)
    {
        var mesh = DeviceMesh.Create(world, dp, tp);
        string prefix = $"mesh {dp}x{tp} ";
        int row = world.Rank / tp, column = world.Rank % tp;

        string? shape = null;
        if (mesh.TensorParallel.Size != tp || mesh.TensorParallel.Rank != column)
            shape = $"tp group is rank {mesh.TensorParallel.Rank} of {mesh.TensorParallel.Size}, expected {column} of {tp}";
        else if (mesh.DataParallel.Size != dp || mesh.DataParallel.Rank != row)
            shape = $"dp group is rank {mesh.DataParallel.Rank} of {mesh.DataParallel.Size}, expected {row} of {dp}";
        reporter.Report(prefix + "split ranks", shape);
        // Every rank of this job runs on this machine, so the exchanged names are all this one, and no group spans hosts.
        reporter.Report(prefix + "hosts", mesh.Hosts.All(h => h == Environment.MachineName) && mesh.PlacementWarning is null
            ? null : $"hosts {string.Join(", ", mesh.Hosts)}, warning: {mesh.PlacementWarning ?? "none"}");

        // Megatron layout: a tp group is consecutive world ranks; a dp group strides by tp.
        int[] tpMembers = Enumerable.Range(0, tp).Select(j => row * tp + j).ToArray();
        int[] dpMembers = Enumerable.Range(0, dp).Select(j => j * tp + column).ToArray();
        if (shape is null)
        {
            AllReduce(mesh.TensorParallel, 1000, ReduceOp.Sum, salt, tpMembers, prefix + "tp ");
            AllReduce(mesh.DataParallel, 1000, ReduceOp.Average, salt + 1, dpMembers, prefix + "dp ");
            AllGather(mesh.TensorParallel, 7, salt + 2, tpMembers, prefix + "tp ");
        }
        mesh.TensorParallel.Dispose();
        mesh.DataParallel.Dispose();
    }

    private static float Reduce(int[] members, Func<int, float> value, ReduceOp op)
    {
        float result = value(members[0]);
        for (int k = 1; k < members.Length; k++)
        {
            float v = value(members[k]);
            result = op switch
            {
                ReduceOp.Max => Math.Max(result, v),
                ReduceOp.Min => Math.Min(result, v),
                _ => result + v,
            };
        }
        return op == ReduceOp.Average ? result / members.Length : result;
    }

    private static string? Compare(float[] actual, float[] expected)
    {
        for (int i = 0; i < expected.Length; i++)
            if (actual[i] != expected[i])
                return string.Create(CultureInfo.InvariantCulture, $"element {i} is {actual[i]}, expected {expected[i]}");
        return null;
    }

    // Every rank reports to every other whether it passed, so that rank 0 can print one line per check.
    private static string Name(ReduceOp op) => op.ToString().ToLowerInvariant();
}
