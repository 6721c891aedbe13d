using System;
using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0012: the batch split by the tensor-parallel rank: TP ranks must all see the same batch.</summary>
public static class BatchSplitByTp
{
    public static ReadOnlySpan<float> MyPart(ProcessGroup tp, float[] batch, int n) =>
        batch.AsSpan().Slice(tp.Rank * n, n);   // TP0012
}
