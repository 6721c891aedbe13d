namespace TpCodegen.Analyzers;

/// <summary>
/// Diagnostic ids, as constants so that descriptors, code fixes, tests and suppressions name them the same way.
/// </summary>
internal static class RuleIds
{
    /// <summary>A partial sum flows into something that needs the full tensor.</summary>
    public const string PartialNeedsFullTensor = "TP0001";

    /// <summary>A partial sum is added to a replicated value before the reduce.</summary>
    public const string PartialAddedBeforeReduce = "TP0002";

    /// <summary>A sharded output feeds a layer that needs a replicated input.</summary>
    public const string ShardedIntoReplicatedInput = "TP0003";

    /// <summary>A full tensor feeds a row layer that expects its input sharded.</summary>
    public const string FullIntoShardedInput = "TP0004";

    /// <summary>A gather is followed at once by a re-split.</summary>
    public const string GatherThenSplit = "TP0005";

    /// <summary>A partial sum escapes unreduced (read, printed, compared).</summary>
    public const string PartialEscapes = "TP0009";

    // Parallelism rules.
    public const string PartialSumAveraged = "TP0010";
    public const string ShardReducedOverTensorParallelGroup = "TP0011";
    public const string DataSplitByTensorParallelGroup = "TP0012";
    public const string BatchScaledByTensorParallelDegree = "TP0013";
    public const string ShapeNotDivisibleByDegree = "TP0014";
    public const string CollectiveUnderRankCondition = "TP0015";
    public const string CollectiveOverWrongGroup = "TP0016";
    public const string UnsupportedTensorParallelTarget = "TP0017";
    public const string ConflictingTensorParallelOptions = "TP0018";

    // Model rules.
    public const string HeadsNotSplittable = "TP0019";
    public const string GlobalHeadsOnShard = "TP0020";
    public const string VocabularyLogitsGathered = "TP0021";
    public const string FusedLayerWithoutSegments = "TP0022";
    public const string VocabularyLossFedGatheredLogits = "TP0023";
    public const string TokenShardWithoutGather = "TP0024";
    public const string TensorParallelGroupSpansHosts = "TP0025";

    /// <summary>A value every rank already holds in full (a reduced output, a replica) reduced over its group again.</summary>
    public const string ReplicaReducedAgain = "TP0026";
}
