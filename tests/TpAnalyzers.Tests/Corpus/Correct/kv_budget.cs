using System;
using TpCodegen;
using TpCodegen.Collectives;

public static class Scheduler
{
    // vLLM-style: how many tokens fit in this rank's KV cache
    public static int CacheTokens(DeviceMesh mesh, long freeBytes, int layers, int kvHeads, int headDim)
    {
        var tp = mesh.TensorParallel;
        int kvHeadsPerRank = Math.Max(1, kvHeads / tp.Size);
        long kvBytesPerToken = 2L * layers * kvHeadsPerRank * headDim * sizeof(float);
        long denseBytesPerToken = 2L * layers * kvHeads * headDim * sizeof(float);
        long perRankBytesPerToken = denseBytesPerToken / tp.Size;
        int maxTokens = (int)(freeBytes / kvBytesPerToken);
        int maxBatchedTokens = Math.Min(maxTokens, 8192);
        int maxSequences = Math.Min(256, maxBatchedTokens / 16);
        if (mesh.World.Rank == 0)
            Console.WriteLine($"KV cache: {maxTokens} tokens ({perRankBytesPerToken} B/token/rank), up to {maxSequences} sequences");
        return maxTokens;
    }
}
