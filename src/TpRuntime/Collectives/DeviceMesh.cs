namespace TpCodegen.Collectives;

/// <summary>
/// A world of <c>dp * tp</c> ranks seen as a data-parallel x tensor-parallel grid. As in Megatron-LM,
/// the ranks of one tensor-parallel group are consecutive (they share a machine's fast links), and the
/// data-parallel group joins the ranks that hold the same shard in different replicas.
/// </summary>
public sealed class DeviceMesh : IDisposable
{
    private DeviceMesh(ProcessGroup world, ProcessGroup tensorParallel, ProcessGroup dataParallel)
    {
        World = world;
        TensorParallel = tensorParallel;
        DataParallel = dataParallel;
    }

    /// <summary>Every rank.</summary>
    public ProcessGroup World { get; }

    /// <summary>The ranks that share one layer's matrices: they see the same batch.</summary>
    public ProcessGroup TensorParallel { get; }

    /// <summary>The ranks that hold the same shard and see different batches.</summary>
    public ProcessGroup DataParallel { get; }

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
        var tp = world.Split(color: rank / tensorParallel, key: rank);
        var dp = world.Split(color: rank % tensorParallel, key: rank);
        return new DeviceMesh(world, tp, dp);
    }
}
