namespace TpCodegen.Analyzers.Flow
{
    /// <summary>
    /// What the analysis knows about a value's placement. Mirrors TpRuntime's PlacementKind (same order), plus
    /// Unknown: anything the analysis cannot follow, on which no rule reports.
    /// </summary>
    internal enum Layout
    {
        Replicate = 0,
        ShardLast = 1,
        PartialSum = 2,
        Unknown = 3,
    }
}
