namespace TpCodegen;

/// <summary>The placement rule every normalisation shares: it reads all features of a token, so it needs them all.</summary>
internal static class NormInput
{
    public static void Require(DTensor x, string norm, int features)
    {
        ArgumentNullException.ThrowIfNull(x);
        switch (x.Placement)
        {
            case PartialPlacement:
                throw new PlacementException(
                    $"{norm} of a {x.Placement} value on {x.Group} is not {norm} of the sum: it divides by the norm of the whole " +
                    "vector, which no addend knows. All-reduce the partial sum first (a row layer with ReduceResults, or Ops.AllReduce).");
            case ShardPlacement { Dim: -1 }:
                throw new PlacementException(
                    $"{norm} normalises over all {features} features of a token, but this rank holds only {x.LocalFeatures} of them " +
                    $"(Shard(-1) on {x.Group}): gather them first (Redistribute(Placement.Replicate)), or normalise before the column layer.");
        }
        if (x.LocalFeatures != features)
            throw new ArgumentException($"{norm} over {features} features got {x}.", nameof(x));
    }
}
