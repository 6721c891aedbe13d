namespace TpCodegen.Analyzers.Diagnostics;

// The ids of the parallelism rules (TP0010-TP0018): how a module reduces, splits data, sizes shapes and calls
// collectives. The placement-flow rules (TP0001-TP0009) keep their ids in the other part of this class.
internal static partial class RuleIds
{
    internal const string PartialSumAveraged = "TP0010";
    internal const string ShardReducedOverTensorParallelGroup = "TP0011";
    internal const string DataSplitByTensorParallelGroup = "TP0012";
    internal const string BatchScaledByTensorParallelDegree = "TP0013";
    internal const string ShapeNotDivisibleByDegree = "TP0014";
    internal const string CollectiveUnderRankCondition = "TP0015";
    internal const string CollectiveOverWrongGroup = "TP0016";
    internal const string UnsupportedTensorParallelTarget = "TP0017";
    internal const string ConflictingTensorParallelOptions = "TP0018";
}
