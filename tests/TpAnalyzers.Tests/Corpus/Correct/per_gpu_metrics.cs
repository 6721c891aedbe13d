using System;
using System.Diagnostics;
using TpCodegen;
using TpCodegen.Collectives;

public static class Metrics
{
    // Per-GPU throughput and MFU, the way Megatron logs them: totals over the whole job divided by its GPU count.
    public static void Report(DeviceMesh mesh, int globalBatchTokens, Stopwatch step, double flopsPerToken, double peakFlopsPerGpu)
    {
        double seconds = step.Elapsed.TotalSeconds;
        double tokensPerSecond = globalBatchTokens / seconds;
        double tokensPerSecondPerGpu = tokensPerSecond / mesh.World.Size;
        double samplesPerGpu = (double)globalBatchTokens / 2048 / mesh.World.Size;
        double mfu = tokensPerSecondPerGpu * flopsPerToken / peakFlopsPerGpu;
        if (mesh.World.Rank == 0)
            Console.WriteLine($"{tokensPerSecond:N0} tok/s, {tokensPerSecondPerGpu:N0} tok/s/GPU, {samplesPerGpu:F2} samples/GPU, MFU {mfu:P1}");
    }
}
