namespace TpCodegen.Collectives;

/// <summary>
/// A world of <c>dp * tp</c> ranks seen as a data-parallel x tensor-parallel grid. As in Megatron-LM,
/// the ranks of one tensor-parallel group are consecutive (they share a machine's fast links), and the
/// data-parallel group joins the ranks that hold the same shard in different replicas.
/// </summary>
public sealed class DeviceMesh : IDisposable
{
    private DeviceMesh(ProcessGroup world, ProcessGroup tensorParallel, ProcessGroup dataParallel, IReadOnlyList<string> hosts)
    {
        World = world;
        TensorParallel = tensorParallel;
        DataParallel = dataParallel;
        Hosts = hosts;
        PlacementWarning = HostPlacement.Check(hosts, tensorParallel.Size);
    }

    /// <summary>Every rank.</summary>
    public ProcessGroup World { get; }

    /// <summary>The ranks that share one layer's matrices: they see the same batch.</summary>
    public ProcessGroup TensorParallel { get; }

    /// <summary>The ranks that hold the same shard and see different batches.</summary>
    public ProcessGroup DataParallel { get; }

    /// <summary>The machine each world rank runs on, in world rank order.</summary>
    public IReadOnlyList<string> Hosts { get; }

    /// <summary>
    /// Null when every tensor-parallel group sits on one machine; otherwise which groups span machines and how to launch
    /// the job so they would not (<see cref="HostPlacement.Check"/>). World rank 0 also writes it to standard error.
    /// </summary>
    public string? PlacementWarning { get; }

    /// <summary>Frees the two sub-groups the mesh created (the world stays with its owner).</summary>
    public void Dispose()
    {
        TensorParallel.Dispose();
        DataParallel.Dispose();
    }

    /// <summary>Collective over <paramref name="world"/>: builds this rank's view of the mesh.</summary>
    public static DeviceMesh Create(ProcessGroup world, int dataParallel, int tensorParallel)
    {
        ArgumentNullException.ThrowIfNull(world);
        if (dataParallel < 1 || tensorParallel < 1 || dataParallel * tensorParallel != world.Size)
            throw new ArgumentException(
                $"A {dataParallel} x {tensorParallel} (dp x tp) mesh needs {dataParallel * tensorParallel} ranks, but {world.Name} has {world.Size}.");
        int rank = world.Rank;
        var tp = world.Split(color: TensorParallelGroupOf(rank, tensorParallel), key: rank);
        var dp = world.Split(color: rank % tensorParallel, key: rank);
        var mesh = new DeviceMesh(world, tp, dp, HostOfEachRank(world));
        if (mesh.PlacementWarning is not null && rank == 0)
            Console.Error.WriteLine($"warning: {mesh.PlacementWarning}");
        return mesh;
    }

    /// <summary>The tensor-parallel group a world rank belongs to: consecutive ranks, the mesh's one layout rule.</summary>
    internal static int TensorParallelGroupOf(int worldRank, int tensorParallel) => Contract.MeshLayout.TensorParallelGroupOf(worldRank, tensorParallel);

    // In-process ranks are threads of this process; MPI ranks exchange their host names once (one all-gather).
    private static string[] HostOfEachRank(ProcessGroup world)
    {
        if (!world.RanksMayBeOnSeveralHosts) return Enumerable.Repeat(HostPlacement.ThisHost, world.Size).ToArray();
        var mine = new float[HostPlacement.NameBytes];
        HostPlacement.Encode(HostPlacement.ThisHost, mine);
        var all = new float[HostPlacement.NameBytes * world.Size];
        world.AllGather(mine, all);
        return Enumerable.Range(0, world.Size).Select(r => HostPlacement.Decode(all.AsSpan(r * HostPlacement.NameBytes, HostPlacement.NameBytes))).ToArray();
    }
}
