namespace TpCodegen;

/// <summary>
/// Moves to and from Shard(-2), a token shard (sequence parallelism): each rank holds a contiguous run of
/// <c>tokens / tp</c> rows with all features. Rows are contiguous in a row-major block, so an all-gather and a
/// reduce-scatter move them with no reordering.
/// </summary>
public sealed partial class DTensor
{
    private static bool IsTokenShard(Placement placement) => placement is ShardPlacement { Dim: -2 };

    // Shard(-2) -> Replicate: all-gather the rows. Replicate -> Shard(-2): keep this rank's rows. Partial -> Shard(-2):
    // reduce-scatter the rows (each rank gets its rows of the sum).
    private DTensor MoveTokens(Placement target)
    {
        switch (Placement, target)
        {
            case (ShardPlacement, ReplicatePlacement):
            {
                var all = StepBuffers.Rent((long)_local.Length * Group.Size, zeroed: false);
                Group.AllGather(_local, all);
                return new DTensor(all, Tokens * Group.Size, LocalFeatures, Placement.Replicate, Group);
            }
            case (ReplicatePlacement, ShardPlacement):
            {
                int rows = RequireTokensDivisible("shard the tokens of");
                var mine = StepBuffers.Rent((long)rows * LocalFeatures, zeroed: false);
                _local.AsSpan(Group.Rank * rows * LocalFeatures, rows * LocalFeatures).CopyTo(mine);
                return new DTensor(mine, rows, LocalFeatures, target, Group);
            }
            case (PartialPlacement partial, ShardPlacement):
            {
                int rows = RequireTokensDivisible("reduce-scatter the tokens of");
                var mine = StepBuffers.Rent((long)rows * LocalFeatures, zeroed: false);
                Group.ReduceScatter(_local, mine, partial.Op);
                return new DTensor(mine, rows, LocalFeatures, target, Group);
            }
            default:
                throw new PlacementException(
                    $"Cannot redistribute a {Placement} value on {Group} to {target}: a token shard (Shard(-2)) moves only to and from " +
                    "Replicate (all-gather, local slice) and from Partial (reduce-scatter).");
        }
    }

    private int RequireTokensDivisible(string what)
    {
        if (Tokens % Group.Size != 0)
            throw new PlacementException(
                $"Cannot {what} a [{Tokens}, {LocalFeatures}] value over {Group}: {Tokens} tokens are not divisible by {Group.Size} (sequence parallelism needs a multiple of tp tokens).");
        return Tokens / Group.Size;
    }
}
