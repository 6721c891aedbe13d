using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0013: the global batch multiplied by the tensor-parallel degree: TP does not raise the batch.</summary>
public static class BatchScaledByTp
{
    public static int GlobalBatch(ProcessGroup tp, int batchSize) => batchSize * tp.Size;   // TP0013
}
