using TpCodegen;
using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0015: a collective only rank 0 reaches: the other ranks never enter it and rank 0 waits forever.</summary>
public static class CollectiveUnderRank
{
    public static void Log(ProcessGroup tp, float[] loss)
    {
        if (tp.Rank == 0)
            tp.AllReduce(loss);   // TP0015
    }
}
