namespace TpCodegen.Collectives;

/// <summary>
/// A set of ranks that run collectives together: the one interface every backend implements
/// (in-process threads, MPI processes). Buffers are spans of float; nothing is copied that the
/// collective does not need to move.
/// </summary>
/// <remarks>
/// The public methods check what one rank can check alone (buffer lengths, root), count the call,
/// then hand over to the backend's <c>*Core</c> method. Backends check what needs every rank: that all
/// ranks called the same collective with the same sizes, and that a failed rank releases the others.
/// Every rank of the group must call the same collectives in the same order.
/// </remarks>
public abstract class ProcessGroup : IDisposable
{
    /// <summary>This rank's index in the group, 0 ≤ Rank &lt; Size.</summary>
    public abstract int Rank { get; }

    /// <summary>The number of ranks in the group.</summary>
    public abstract int Size { get; }

    /// <summary>A name for messages: "world", "tp[0]", ...</summary>
    public abstract string Name { get; }

    /// <summary>What this rank has asked of the group so far.</summary>
    public CollectiveCounters Counters { get; } = new();

    /// <summary>Reduces <paramref name="buffer"/> element-wise over all ranks, in place: afterwards every rank holds the result.</summary>
    public void AllReduce(Span<float> buffer, ReduceOp op = ReduceOp.Sum)
    {
        Counters.Record(CollectiveKind.AllReduce, (long)buffer.Length * sizeof(float));
        AllReduceCore(buffer, op);
    }

    /// <summary>
    /// Concatenates every rank's <paramref name="send"/> in rank order into every rank's
    /// <paramref name="receive"/>, which must be exactly <c>Size</c> times as long.
    /// </summary>
    public void AllGather(ReadOnlySpan<float> send, Span<float> receive)
    {
        if ((long)send.Length * Size != receive.Length)
            throw new ArgumentException(
                $"AllGather on {Name} (rank {Rank} of {Size}): receive holds {receive.Length} floats but must hold size * send = {Size} * {send.Length} = {(long)send.Length * Size}.",
                nameof(receive));
        // In place is this rank's own block of receive (MPI_IN_PLACE); any other overlap would let the other ranks
        // read send while this rank overwrites it.
        if (((ReadOnlySpan<float>)receive).Overlaps(send, out int offset) && offset != Rank * send.Length)
            throw new ArgumentException(
                $"AllGather on {Name} (rank {Rank} of {Size}): send overlaps receive at element {offset}; it must not overlap, or be exactly block {Rank} of receive.",
                nameof(send));
        Counters.Record(CollectiveKind.AllGather, (long)send.Length * sizeof(float));
        AllGatherCore(send, receive);
    }

    /// <summary>
    /// Reduces every rank's <paramref name="send"/> element-wise and leaves block r of the result
    /// (<c>receive.Length</c> floats) on rank r. <paramref name="send"/> must be exactly <c>Size</c> times as long as <paramref name="receive"/>.
    /// </summary>
    public void ReduceScatter(ReadOnlySpan<float> send, Span<float> receive, ReduceOp op = ReduceOp.Sum)
    {
        if ((long)receive.Length * Size != send.Length)
            throw new ArgumentException(
                $"ReduceScatter on {Name} (rank {Rank} of {Size}): send holds {send.Length} floats but must hold size * receive = {Size} * {receive.Length} = {(long)receive.Length * Size}.",
                nameof(send));
        if (send.Overlaps(receive))
            throw new ArgumentException(
                $"ReduceScatter on {Name} (rank {Rank} of {Size}): send and receive overlap; they must be separate buffers.", nameof(receive));
        Counters.Record(CollectiveKind.ReduceScatter, (long)send.Length * sizeof(float));
        ReduceScatterCore(send, receive, op);
    }

    /// <summary>Copies <paramref name="buffer"/> of rank <paramref name="root"/> into <paramref name="buffer"/> of every rank.</summary>
    public void Broadcast(Span<float> buffer, int root)
    {
        if ((uint)root >= (uint)Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"Broadcast on {Name}: root must be a rank in [0, {Size}).");
        Counters.Record(CollectiveKind.Broadcast, Rank == root ? (long)buffer.Length * sizeof(float) : 0);
        BroadcastCore(buffer, root);
    }

    /// <summary>Returns once every rank of the group has called it.</summary>
    public void Barrier()
    {
        Counters.Record(CollectiveKind.Barrier, 0);
        BarrierCore();
    }

    /// <summary>
    /// Collective: divides the group into sub-groups, like MPI_Comm_split. Ranks that pass the same
    /// <paramref name="color"/> land in one sub-group, ordered by <paramref name="key"/> then by their rank here.
    /// </summary>
    public ProcessGroup Split(int color, int key)
    {
        if (color < 0)
            throw new ArgumentOutOfRangeException(nameof(color), color, $"Split on {Name}: color must be non-negative.");
        Counters.Record(CollectiveKind.Split, 0);
        return SplitCore(color, key);
    }

    /// <summary>
    /// False where every rank is a thread of this process (nothing to learn about machines); true where ranks are
    /// processes that may run on several machines, so that placement checks exchange host names.
    /// </summary>
    internal virtual bool RanksMayBeOnSeveralHosts => false;

    protected abstract void AllReduceCore(Span<float> buffer, ReduceOp op);
    protected abstract void AllGatherCore(ReadOnlySpan<float> send, Span<float> receive);
    protected abstract void ReduceScatterCore(ReadOnlySpan<float> send, Span<float> receive, ReduceOp op);
    protected abstract void BroadcastCore(Span<float> buffer, int root);
    protected abstract void BarrierCore();
    protected abstract ProcessGroup SplitCore(int color, int key);

    /// <summary>Releases backend resources. Sub-groups are disposed by their owner.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    public override string ToString() => $"{Name} (rank {Rank} of {Size})";
}
