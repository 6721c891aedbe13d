namespace TpCodegen;

/// <summary>
/// Sequence parallelism's full-size values, released early: the all-gather that enters a column block makes a value tp
/// times the size of the token shard it came from, needed only by that block's column layers, and the row layer that
/// leaves the block makes a full-size partial sum, needed only until it is reduce-scattered. Megatron frees both, and
/// all-gathers the first again in the backward; <see cref="GatherTokens"/> and <see cref="ReduceScatterTokens"/> do the
/// same, so what a training step keeps per rank is token shards, not full-size copies.
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

    /// <summary>
    /// Collective: reduce-scatters this partial sum over tokens (sequence parallelism leaving a row block: each rank gets
    /// its run of tokens of the sum, Shard(-2)) and hands this value's buffer back, as <see cref="GatherTokens"/> does for
    /// its gathered copy. For a layer's fresh partial output that nothing else reads: an op that kept it fails its backward
    /// with an error naming it (use <see cref="Redistribute"/> to keep it).
    /// </summary>
    public DTensor ReduceScatterTokens()
    {
        // Replicate too: the same layer unsharded (one rank, or a dense reference) returns its sum whole, and keeps its rows.
        if (Placement is not (PartialPlacement or ReplicatePlacement))
            throw new PlacementException(
                $"ReduceScatterTokens reduce-scatters a partial sum over tokens; {this} is {Placement}. Use Redistribute(Placement.Shard(-2)) for other placements.");
        var tokens = Redistribute(Placement.Shard(-2));
        Release();
        return tokens;
    }

    /// <summary>True once <see cref="Release"/> handed the buffer back: the value keeps its shape, not its numbers.</summary>
    internal bool IsReleased => _released;

    /// <summary>Hands the buffer back to this thread's step pool (dropped outside a scope); later reads throw.</summary>
    internal void Release()
    {
        if (_released) return;
        StepBuffers.Return(_local);
        MarkReleased();
    }

    /// <summary>
    /// <see cref="Release"/>, but only for a buffer the open step scope rented: a value over the caller's own array, or made
    /// outside a scope, stays readable. Returns whether it was released.
    /// </summary>
    internal bool ReleaseIfPooled()
    {
        if (_released || !StepBuffers.Return(_local)) return false;
        MarkReleased();
        return true;
    }

    /// <summary>The array under the value, released or not (the tape's bookkeeping of which values share one).</summary>
    internal float[] Storage => _local;

    private void MarkReleased()
    {
        _local = [];
        _released = true;
    }

    private InvalidOperationException ReleasedError() => new(
        $"{this} was released: by GatherTokens or ReduceScatterTokens when its block ended (only the block's column layers may " +
        "keep a gathered value for the backward: the tape gathers it again for them; keep a value that must outlive its block " +
        "with Redistribute), or by a backward inside a step scope once no op needed it (read op outputs before the backward).");
}
