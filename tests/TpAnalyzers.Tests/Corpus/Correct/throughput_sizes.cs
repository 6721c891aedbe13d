using System;
using System.Diagnostics;
using TpCodegen;
using TpCodegen.Collectives;

public sealed class RunStats
{
    private readonly DeviceMesh _mesh;
    public RunStats(DeviceMesh mesh) => _mesh = mesh;

    public void Report(int microBatch, int seqLen, int gradAccum, int hidden, int layers, long paramCount, Stopwatch sw)
    {
        var tp = _mesh.TensorParallel;
        var dp = _mesh.DataParallel;
        int globalBatch = microBatch * gradAccum * dp.Size;
        long tokensPerStep = (long)globalBatch * seqLen;
        double tokensPerSecond = tokensPerStep / sw.Elapsed.TotalSeconds;
        double tokensPerSecondPerGpu = tokensPerSecond / _mesh.World.Size;
        long activationBytesPerRank = (long)microBatch * seqLen * hidden * 4 * layers / tp.Size;
        double modelFlopsPerRank = 6.0 * tokensPerStep * paramCount / _mesh.World.Size;
        int hiddenPerRank = hidden / tp.Size;
        int sequencesPerReplica = globalBatch / dp.Size;
        if (_mesh.World.Rank == 0)
            Console.WriteLine($"batch {globalBatch}, {tokensPerSecondPerGpu:F0} tok/s/gpu, act {activationBytesPerRank >> 20} MiB/rank, {modelFlopsPerRank:E2} flops, {hiddenPerRank} hidden/rank, {sequencesPerReplica} seq/replica");
    }

    public static int Microbatches(int globalBatch, int microBatch, DeviceMesh mesh) =>
        globalBatch / (microBatch * mesh.DataParallel.Size);

    public static int WorldSize(int dp, int tp) => dp * tp;
}
