namespace TpCodegen.Analyzers
{
    /// <summary>
    /// Diagnostic ids, as constants so that descriptors, code fixes, tests and suppressions name them the same way.
    /// Partial: the parallelism rules (TP0010 and up) add their ids in a part of their own.
    /// </summary>
    internal static partial class RuleIds
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
    }
}
