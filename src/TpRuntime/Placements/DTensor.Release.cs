namespace TpCodegen;

/// <summary>
/// Sequence parallelism's gathered tokens, released early: the all-gather that enters a column block makes a value tp
/// times the size of the token shard it came from, needed only by that block's column layers. Megatron frees it after
/// the block and all-gathers it again in the backward; <see cref="GatherTokens"/> and <see cref="GatheredTokens"/> do
/// the same, so what a training step keeps per rank is the token shards, not the gathered copies.
/// </summary>
public sealed partial class DTensor
{
    /// <summary>
    /// Collective: all-gathers this token shard (Shard(-2)) for the column layers of one block. Disposing the result hands
    /// the gathered buffer back (to the step pool inside a scope): use its <see cref="GatheredTokens.Value"/> only inside
    /// the block. A tape recording the block keeps the shard instead and all-gathers it again in the backward, for the
    /// column layers' weight gradients; any other op that kept the gathered value fails its backward with an error
    /// naming it (use <see cref="Redistribute"/> for a gathered value that must outlive the block).
    /// </summary>
    public GatheredTokens GatherTokens()
    {
        if (Placement is not ShardPlacement { Dim: -2 })
            throw new PlacementException(
                $"GatherTokens all-gathers a token shard (Shard(-2)); {this} is {Placement}. Use Redistribute(Placement.Replicate) for other placements.");
        return new GatheredTokens(Redistribute(Placement.Replicate));
    }

    /// <summary>True once <see cref="Release"/> handed the buffer back: the value keeps its shape, not its numbers.</summary>
    internal bool IsReleased => _released;

    /// <summary>Hands the buffer back to this thread's step pool (dropped outside a scope); later reads throw.</summary>
    internal void Release()
    {
        if (_released) return;
        StepBuffers.Return(_local);
        _local = [];
        _released = true;
    }

    private InvalidOperationException ReleasedError() => new(
        $"{this} was all-gathered by GatherTokens and released when its block ended; only column layers may keep it for the " +
        "backward (the tape gathers it again for them). Keep a value that must outlive its block with Redistribute(Placement.Replicate).");
}
