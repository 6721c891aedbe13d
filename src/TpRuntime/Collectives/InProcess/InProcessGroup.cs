namespace TpCodegen.Collectives.InProcess;

/// <summary>One rank's handle on an in-process group: the shared communicator and this rank's index in it.</summary>
internal sealed class InProcessGroup(InProcessCommunicator communicator, int rank) : ProcessGroup
{
    public override int Rank { get; } = rank;

    public override int Size => communicator.Size;

    public override string Name => communicator.Name;

    protected override void AllReduceCore(Span<float> buffer, ReduceOp op) => communicator.AllReduce(Rank, buffer, op);

    protected override void AllGatherCore(ReadOnlySpan<float> send, Span<float> receive) => communicator.AllGather(Rank, send, receive);

    protected override void ReduceScatterCore(ReadOnlySpan<float> send, Span<float> receive, ReduceOp op) =>
        communicator.ReduceScatter(Rank, send, receive, op);

    protected override void BroadcastCore(Span<float> buffer, int root) => communicator.Broadcast(Rank, buffer, root);

    protected override void BarrierCore() => communicator.Barrier(Rank);

    public void ReportFailure(Exception error) => communicator.ReportFailure(Rank, error);

    protected override ProcessGroup SplitCore(int color, int key)
    {
        var sub = communicator.Split(Rank, color, key, out int subRank);
        return new InProcessGroup(sub, subRank);
    }
}
