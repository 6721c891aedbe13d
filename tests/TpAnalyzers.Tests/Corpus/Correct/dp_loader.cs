using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed class DistributedSampler : IEnumerable<int>
{
    private readonly int _count, _rank, _replicas, _seed;
    public int Epoch { get; set; }
    public DistributedSampler(int count, int rank, int replicas, int seed = 0) => (_count, _rank, _replicas, _seed) = (count, rank, replicas, seed);
    public int PerReplica => (_count + _replicas - 1) / _replicas;

    public IEnumerator<int> GetEnumerator()
    {
        var order = Enumerable.Range(0, _count).OrderBy(i => HashCode.Combine(_seed, Epoch, i)).ToList();
        while (order.Count < PerReplica * _replicas) order.Add(order[order.Count % _count]);
        for (int i = _rank; i < order.Count; i += _replicas) yield return order[i];
    }
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class TokenDataLoader(int[][] documents, DistributedSampler sampler, int batchSize)
{
    public IEnumerable<int[][]> Batches() => sampler.Select(i => documents[i]).Chunk(batchSize);
}

public sealed partial class LoaderModel
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(50304, 768);
    [TensorParallel(Split.Column)] public Linear Fc { get; } = new(768, 3072);
    [TensorParallel(Split.Row)] public Linear Proj { get; } = new(3072, 768);
    public DTensor Forward(int[] ids, ProcessGroup tp) { var h = Embed.Forward(ids, tp); return h + Proj.Forward(Ops.Gelu(Fc.Forward(h))); }
}

public static class DataParallelInput
{
    public static void Run(ProcessGroup world, int[][] documents)
    {
        using var mesh = DeviceMesh.Create(world, dataParallel: world.Size / 4, tensorParallel: 4);
        var dp = mesh.DataParallel;
        var sampler = new DistributedSampler(documents.Length, rank: dp.Rank, replicas: dp.Size, seed: 17);
        var loader = new TokenDataLoader(documents, sampler, batchSize: 4);
        var model = new LoaderModel();
        int samplesPerReplica = documents.Length / dp.Size;
        var mySlice = documents.Skip(dp.Rank * samplesPerReplica).Take(samplesPerReplica).ToArray();
        var roundRobin = documents.Where((_, i) => i % dp.Size == dp.Rank).ToArray();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            sampler.Epoch = epoch;
            foreach (var batch in loader.Batches())
            {
                var ids = batch.SelectMany(d => d).ToArray();
                var y = model.Forward(ids, mesh.TensorParallel);
                if (mesh.TensorParallel.Rank == 0 && dp.Rank == 0) Console.WriteLine($"epoch {epoch}: {y.Tokens} tokens");
            }
        }
        if (world.Rank == 0) Console.WriteLine($"{mySlice.Length} / {roundRobin.Length} docs per replica");
    }
}
