using System.Collections.Generic;

namespace TpCodegen.Contract;

/// <summary>
/// How a dp x tp mesh lays out world ranks: a tensor-parallel group is tp consecutive world ranks, as in Megatron-LM.
/// DeviceMesh.Create splits the world by it; HostPlacement reads it at run time against the hosts the ranks report, and
/// the analyzers at compile time against a stated number of ranks per host, so the two cannot disagree.
/// </summary>
internal static class MeshLayout
{
    /// <summary>The tensor-parallel group world rank <paramref name="worldRank"/> belongs to.</summary>
    public static int TensorParallelGroupOf(int worldRank, int tensorParallel) => worldRank / tensorParallel;

    /// <summary>
    /// The tensor-parallel groups whose ranks sit on more than one host, in group order: the group, its world ranks, and its
    /// hosts in rank order without repeats. <paramref name="hostOfRank"/> holds each world rank's host.
    /// </summary>
    public static List<SpanningGroup<THost>> SpanningGroups<THost>(IReadOnlyList<THost> hostOfRank, int tensorParallel)
    {
        var byGroup = new SortedDictionary<int, List<int>>();
        for (int rank = 0; rank < hostOfRank.Count; rank++)
        {
            int group = TensorParallelGroupOf(rank, tensorParallel);
            if (!byGroup.TryGetValue(group, out var ranks)) byGroup[group] = ranks = new List<int>();
            ranks.Add(rank);
        }
        var spanning = new List<SpanningGroup<THost>>();
        var comparer = EqualityComparer<THost>.Default;
        foreach (var pair in byGroup)
        {
            var hosts = new List<THost>();
            foreach (int rank in pair.Value)
            {
                if (!hosts.Exists(h => comparer.Equals(h, hostOfRank[rank]))) hosts.Add(hostOfRank[rank]);
            }
            if (hosts.Count > 1) spanning.Add(new SpanningGroup<THost>(pair.Key, pair.Value, hosts));
        }
        return spanning;
    }

    /// <summary>The host of each of <paramref name="worldSize"/> ranks started host by host, <paramref name="ranksPerHost"/> on each (mpiexec -ppn).</summary>
    public static int[] HostsFilledInOrder(int worldSize, int ranksPerHost)
    {
        var hosts = new int[worldSize];
        for (int rank = 0; rank < worldSize; rank++) hosts[rank] = rank / ranksPerHost;
        return hosts;
    }
}

/// <summary>A tensor-parallel group that spans hosts: its index, its world ranks in order, its hosts in rank order.</summary>
internal sealed class SpanningGroup<THost>
{
    public SpanningGroup(int group, List<int> ranks, List<THost> hosts)
    {
        Group = group;
        Ranks = ranks;
        Hosts = hosts;
    }

    public int Group { get; }

    public List<int> Ranks { get; }

    public List<THost> Hosts { get; }
}
