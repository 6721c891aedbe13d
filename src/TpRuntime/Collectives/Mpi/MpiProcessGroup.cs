using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace TpCodegen.Collectives.Mpi;

/// <summary>
/// A process group backed by an MPI communicator: one process per rank. Each collective is exactly one MPI
/// call on the caller's buffers (pinned, never copied), so this backend is as fast as MPI itself.
/// </summary>
/// <remarks>
/// Spans hold at most <see cref="int.MaxValue"/> elements, and MPI counts are ints, so every count passed
/// here fits; AllGather's per-rank count is a fraction of the receive span's length and fits as well.
/// MPI notices only some disagreements between ranks (a receive too short on some rank comes back as an error
/// code, since the communicator uses MPI_ERRORS_RETURN, and is thrown as an <see cref="MpiException"/>); the rest
/// hang or return wrong data on other ranks. So every call also goes through <see cref="MpiCallCheck"/> (a check
/// across ranks whenever a call differs from the group's previous one, or always with
/// <see cref="CollectiveOptions.DebugChecks"/>) and <see cref="MpiWatchdog"/>.
/// </remarks>
internal sealed unsafe class MpiProcessGroup : ProcessGroup
{
    private nint _communicator;
    private readonly bool _ownsCommunicator;
    private readonly MpiCallCheck _check;

    internal MpiProcessGroup(nint communicator, string name, bool ownsCommunicator)
    {
        _communicator = communicator;
        _ownsCommunicator = ownsCommunicator;
        Name = name;
        int rank, size;
        Check(MpiNative.CommRank(communicator, &rank), "MPI_Comm_rank", "reading the rank");
        Check(MpiNative.CommSize(communicator, &size), "MPI_Comm_size", "reading the size");
        Rank = rank;
        Size = size;
        // Collective, like the split that made this group: every rank of it is here.
        Check(MpiNative.CommDup(communicator, out nint control), "MPI_Comm_dup", "creating the communicator of the consistency checks");
        Check(MpiNative.CommSetErrhandler(control, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler", "creating the communicator of the consistency checks");
        _check = new MpiCallCheck(this, control);
    }

    public override int Rank { get; }

    public override int Size { get; }

    public override string Name { get; }

    internal override bool RanksMayBeOnSeveralHosts => true;

    protected override void AllReduceCore(Span<float> buffer, ReduceOp op)
    {
        nint mpiOp = ToMpiOp(op, CollectiveKind.AllReduce);
        Begin(CollectiveKind.AllReduce, buffer.Length, op, 0);
        fixed (float* data = buffer)
        {
            int rc = MpiRequest.Yielding
                ? MpiRequest.Complete(MpiNative.Iallreduce((void*)MpiNative.InPlace, data, buffer.Length, MpiNative.Float, mpiOp, _communicator, out nint request), request)
                : MpiNative.Allreduce((void*)MpiNative.InPlace, data, buffer.Length, MpiNative.Float, mpiOp, _communicator);
            MpiWatchdog.Exit();
            if (rc != MpiNative.Success)
                throw Failure(rc, "MPI_Allreduce", CollectiveKind.AllReduce, buffer.Length);
        }
        // MPI has no average; dividing the sum keeps every rank's result bit-identical.
        if (op == ReduceOp.Average)
            TensorPrimitives.Divide(buffer, Size, buffer);
    }

    protected override void AllGatherCore(ReadOnlySpan<float> send, Span<float> receive)
    {
        int count = send.Length;
        Begin(CollectiveKind.AllGather, count, ReduceOp.Sum, 0);
        fixed (float* source = send)
        fixed (float* target = receive)
        {
            // MPI forbids aliased buffers; a send that is this rank's block of receive (the only overlap the base
            // class lets through) is MPI's in-place case.
            void* sendArg = ((ReadOnlySpan<float>)receive).Overlaps(send) ? (void*)MpiNative.InPlace : source;
            int rc = MpiRequest.Yielding
                ? MpiRequest.Complete(MpiNative.Iallgather(sendArg, count, MpiNative.Float, target, count, MpiNative.Float, _communicator, out nint request), request)
                : MpiNative.Allgather(sendArg, count, MpiNative.Float, target, count, MpiNative.Float, _communicator);
            MpiWatchdog.Exit();
            if (rc != MpiNative.Success)
                throw Failure(rc, "MPI_Allgather", CollectiveKind.AllGather, count);
        }
    }

    protected override void ReduceScatterCore(ReadOnlySpan<float> send, Span<float> receive, ReduceOp op)
    {
        nint mpiOp = ToMpiOp(op, CollectiveKind.ReduceScatter);
        Begin(CollectiveKind.ReduceScatter, send.Length, op, 0);
        fixed (float* source = send)
        fixed (float* target = receive)
        {
            int rc = MpiRequest.Yielding
                ? MpiRequest.Complete(MpiNative.IreduceScatterBlock(source, target, receive.Length, MpiNative.Float, mpiOp, _communicator, out nint request), request)
                : MpiNative.ReduceScatterBlock(source, target, receive.Length, MpiNative.Float, mpiOp, _communicator);
            MpiWatchdog.Exit();
            if (rc != MpiNative.Success)
                throw Failure(rc, "MPI_Reduce_scatter_block", CollectiveKind.ReduceScatter, send.Length);
        }
        if (op == ReduceOp.Average)
            TensorPrimitives.Divide(receive, Size, receive);
    }

    protected override void BroadcastCore(Span<float> buffer, int root)
    {
        Begin(CollectiveKind.Broadcast, buffer.Length, ReduceOp.Sum, root);
        fixed (float* data = buffer)
        {
            int rc = MpiRequest.Yielding
                ? MpiRequest.Complete(MpiNative.Ibcast(data, buffer.Length, MpiNative.Float, root, _communicator, out nint request), request)
                : MpiNative.Bcast(data, buffer.Length, MpiNative.Float, root, _communicator);
            MpiWatchdog.Exit();
            if (rc != MpiNative.Success)
                throw Failure(rc, "MPI_Bcast", CollectiveKind.Broadcast, buffer.Length, $" from root {root}");
        }
    }

    // The check is an all-reduce over every rank, hence a barrier, and it compares what the ranks called before it.
    protected override void BarrierCore() => Checkpoint(CollectiveKind.Barrier);

    protected override ProcessGroup SplitCore(int color, int key)
    {
        // MPI_Comm_split would hang against any other collective: make sure every rank is splitting first.
        Checkpoint(CollectiveKind.Split);
        Check(MpiNative.CommSplit(_communicator, color, key, out nint created), "MPI_Comm_split", $"Split(color {color}, key {key})");
        // Error handlers are inherited by MPI_Comm_split in MPICH but the standard does not promise it; set it explicitly.
        Check(MpiNative.CommSetErrhandler(created, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler", $"Split(color {color}, key {key})");
        return new MpiProcessGroup(created, $"{Name}/color{color}", ownsCommunicator: true);
    }

    /// <summary>
    /// Collective: the barrier every rank enters once its work is done, before MPI_Finalize. Checks that no rank of
    /// the world still waits in a collective (that would be a mismatch against "end of run"), under the watchdog.
    /// </summary>
    internal void EndOfRun()
    {
        _check.Verify(MpiWatchdog.EndOfRun, 0, 0, 0, beforeCall: false);
    }

    public override void Dispose()
    {
        // After MPI_Finalize no call is legal, and the world communicator is never freed (its check duplicate is, by MPI_Finalize).
        if (_ownsCommunicator && _communicator != MpiNative.CommNull && !MpiWorld.IsFinalized)
        {
            MpiNative.CommFree(ref _communicator);
            _check.Free();
        }
        base.Dispose();
    }

    /// <summary>
    /// Before each data collective: checks it across ranks if it differs from the group's previous call (always in
    /// debug mode), folds it into the group's checksum, and tells the watchdog. While a group repeats one call: a
    /// flag test, four comparisons, a few integer operations and a few stores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Begin(CollectiveKind kind, int count, ReduceOp op, int root)
    {
        if (CollectiveOptions.DebugChecks || !_check.Repeats((int)kind, count, (int)op, root))
            _check.Verify((int)kind, count, (int)op, root, beforeCall: true);
        _check.Record((int)kind, count, (int)op, root);
        MpiWatchdog.Enter(this, (int)kind, count, checking: false);
    }

    private void Checkpoint(CollectiveKind kind)
    {
        _check.Verify((int)kind, 0, 0, 0, beforeCall: false);
        _check.Record((int)kind, 0, 0, 0);
    }

    // MPI has no average: Average reduces with MPI_SUM and the caller divides by Size afterwards.
    private nint ToMpiOp(ReduceOp op, CollectiveKind kind) => op switch
    {
        ReduceOp.Sum or ReduceOp.Average => MpiNative.OpSum,
        ReduceOp.Max => MpiNative.OpMax,
        ReduceOp.Min => MpiNative.OpMin,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, $"{kind} on {this}: unknown reduce op."),
    };

    private void Check(int rc, string function, string what)
    {
        if (rc != MpiNative.Success)
            throw MpiException.FromCode(rc, function, $"{what} on {Name}");
    }

    // Kept out of line so that the collectives' success path stays small and allocation-free.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private MpiException Failure(int rc, string function, CollectiveKind kind, int floats, string extra = "") =>
        MpiException.FromCode(rc, function, $"{kind} of {floats} floats{extra} on {this}");
}
