namespace TpCodegen.Collectives;

/// <summary>
/// A group of one rank: every collective is the identity. It lets the dense reference and the sharded model
/// run the same Forward: a dense module is a module on a group of one.
/// </summary>
public sealed class SingleRankGroup : ProcessGroup
{
    /// <summary>A shared instance; it holds no state beyond its counters.</summary>
    public static SingleRankGroup Instance { get; } = new();

    public override int Rank => 0;

    public override int Size => 1;

    public override string Name => "single";

    protected override void AllReduceCore(Span<float> buffer, ReduceOp op) { }

    protected override void AllGatherCore(ReadOnlySpan<float> send, Span<float> receive) => send.CopyTo(receive);

    protected override void ReduceScatterCore(ReadOnlySpan<float> send, Span<float> receive, ReduceOp op) => send.CopyTo(receive);

    protected override void BroadcastCore(Span<float> buffer, int root) { }

    protected override void BarrierCore() { }

    protected override ProcessGroup SplitCore(int color, int key) => new SingleRankGroup();
}
