using System.Numerics.Tensors;
using System.Text;

namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// The memory the ranks of one in-process group share. Every collective runs in two phases:
/// each rank posts its call and its buffer addresses and meets the others (phase 1), checks that all calls
/// agree, moves its share of the data directly between the posted buffers, and meets the others again
/// (phase 2) so that no buffer is released while another rank still reads or writes it.
/// Reductions are bandwidth-efficient: rank r reduces the r-th 1/N of the buffer over all ranks and writes
/// the result to every rank, so each rank reads and writes about one buffer's worth, whatever N is.
/// </summary>
internal sealed unsafe class InProcessCommunicator
{
    // Reduce in blocks that stay in L1/L2 while the other ranks' addends stream through.
    private const int ReduceBlock = 8 * 1024;

    private readonly InProcessRun _run;
    private readonly int[] _worldRanks;
    private readonly Rendezvous _rendezvous;
    private readonly CollectiveCall[] _calls;
    private readonly long[] _callNumbers;
    private readonly nint[] _send;
    private readonly nint[] _receive;
    private readonly int[] _splitColors;
    private readonly int[] _splitKeys;
    private readonly InProcessCommunicator?[] _splitResults;

    public InProcessCommunicator(InProcessRun run, int[] worldRanks, string name)
    {
        _run = run;
        _worldRanks = worldRanks;
        Name = name;
        int size = worldRanks.Length;
        _calls = new CollectiveCall[size];
        _callNumbers = new long[size];
        _send = new nint[size];
        _receive = new nint[size];
        _splitColors = new int[size];
        _splitKeys = new int[size];
        _splitResults = new InProcessCommunicator?[size];
        _rendezvous = new Rendezvous(run, worldRanks, Describe);
    }

    public string Name { get; }

    public int Size => _worldRanks.Length;

    public int WorldRank(int member) => _worldRanks[member];

    public void ReportFailure(int member, Exception error) => _run.Fail(_worldRanks[member], error);

    public void AllReduce(int me, Span<float> buffer, ReduceOp op)
    {
        fixed (float* data = buffer)
        {
            Enter(me, new CollectiveCall(CollectiveKind.AllReduce, buffer.Length, 0, op), data, data);
            try
            {
                var (start, length) = ChunkOf(me, buffer.Length);
                ReduceInto(me, start, length, op, into: data + start, copyToEveryRank: true);
            }
            finally
            {
                Leave(me);
            }
        }
    }

    public void ReduceScatter(int me, ReadOnlySpan<float> send, Span<float> receive, ReduceOp op)
    {
        fixed (float* input = send)
        fixed (float* output = receive)
        {
            Enter(me, new CollectiveCall(CollectiveKind.ReduceScatter, send.Length, 0, op), input, output);
            try
            {
                ReduceInto(me, (long)me * receive.Length, receive.Length, op, into: output, copyToEveryRank: false);
            }
            finally
            {
                Leave(me);
            }
        }
    }

    public void AllGather(int me, ReadOnlySpan<float> send, Span<float> receive)
    {
        fixed (float* input = send)
        fixed (float* output = receive)
        {
            Enter(me, new CollectiveCall(CollectiveKind.AllGather, send.Length, 0, ReduceOp.Sum), input, output);
            try
            {
                int block = send.Length;
                for (int r = 0; r < Size; r++)
                    Span(_send[r], 0, block).CopyTo(receive.Slice(r * block, block));
            }
            finally
            {
                Leave(me);
            }
        }
    }

    public void Broadcast(int me, Span<float> buffer, int root)
    {
        fixed (float* data = buffer)
        {
            Enter(me, new CollectiveCall(CollectiveKind.Broadcast, buffer.Length, root, ReduceOp.Sum), data, data);
            try
            {
                if (me != root) Span(_send[root], 0, buffer.Length).CopyTo(buffer);
            }
            finally
            {
                Leave(me);
            }
        }
    }

    public void Barrier(int me)
    {
        Enter(me, new CollectiveCall(CollectiveKind.Barrier, 0, 0, ReduceOp.Sum), null, null);
        Leave(me);
    }

    /// <summary>MPI_Comm_split: the first member of each color (by key, then rank) builds the sub-group; the others pick it up.</summary>
    public InProcessCommunicator Split(int me, int color, int key, out int newRank)
    {
        _splitColors[me] = color;
        _splitKeys[me] = key;
        Enter(me, new CollectiveCall(CollectiveKind.Split, 0, 0, ReduceOp.Sum), null, null);
        var members = Enumerable.Range(0, Size)
            .Where(r => _splitColors[r] == color)
            .OrderBy(r => _splitKeys[r]).ThenBy(r => r)
            .ToArray();
        newRank = Array.IndexOf(members, me);
        if (newRank == 0)
        {
            var worldRanks = members.Select(r => _worldRanks[r]).ToArray();
            // The world ranks in the name tell apart the groups of different splits that share a color (a mesh's tp[0] and dp[0]).
            _splitResults[me] = new InProcessCommunicator(_run, worldRanks, $"{Name}/split[{color}]({string.Join(",", worldRanks)})");
        }
        _rendezvous.Arrive(me, releasable: false);
        var result = _splitResults[members[0]]!;
        Leave(me);
        return result;
    }

    /// <summary>
    /// Phase 1: claim this rank for the collective, post the call and buffers, meet every rank, and check that all
    /// calls agree. Until the phase closes no rank touches another's buffers, so a failure elsewhere may release the
    /// caller here.
    /// </summary>
    private void Enter(int me, CollectiveCall call, float* send, float* receive)
    {
        if (_run.HasFailed) _run.ThrowIfFailed($"{call} on {Name} (rank {me} of {Size})");
        int worldRank = _worldRanks[me];
        if (_run.TryClaim(worldRank, this) is { } busy) throw ConcurrentUse(me, call, busy);
        try
        {
            _calls[me] = call;
            _callNumbers[me]++;
            _send[me] = (nint)send;
            _receive[me] = (nint)receive;
            _rendezvous.Arrive(me, releasable: true);
            for (int r = 0; r < Size; r++)
            {
                if (_calls[r] == _calls[0]) continue;
                // Every rank compares before any may leave: a rank that left at once could catch the error, retry,
                // and repost its call while a slower rank is still comparing; that rank would then see a "match".
                var mismatch = Mismatch(me);
                _rendezvous.Arrive(me, releasable: false);
                throw mismatch;
            }
        }
        catch
        {
            _run.Unclaim(worldRank);
            throw;
        }
    }

    /// <summary>
    /// Phase 2: no rank returns (and unpins, frees or reuses its buffers) until every rank is done with them. Not
    /// releasable: every rank that passed phase 1 reaches it (moving data never blocks, and callers leave in a finally).
    /// </summary>
    private void Leave(int me)
    {
        _rendezvous.Arrive(me, releasable: false);
        _run.Unclaim(_worldRanks[me]);
    }

    /// <summary>
    /// Reduces <paramref name="length"/> floats at <paramref name="sourceOffset"/> of every rank's send buffer into
    /// <paramref name="into"/>; with <paramref name="copyToEveryRank"/>, also writes each reduced block to the same
    /// offset of every other rank's receive buffer while it is still in cache (the all-reduce's second half).
    /// </summary>
    private void ReduceInto(int me, long sourceOffset, int length, ReduceOp op, float* into, bool copyToEveryRank)
    {
        for (int done = 0; done < length; done += ReduceBlock)
        {
            int n = Math.Min(ReduceBlock, length - done);
            var accumulator = new Span<float>(into + done, n);
            // Start from the caller's own addend (it may already be 'into'), then fold in the others.
            var own = Span(_send[me], sourceOffset + done, n);
            if (!own.Overlaps(accumulator)) own.CopyTo(accumulator);
            for (int r = 0; r < Size; r++)
            {
                if (r == me) continue;
                var addend = Span(_send[r], sourceOffset + done, n);
                switch (op)
                {
                    case ReduceOp.Sum or ReduceOp.Average: TensorPrimitives.Add(accumulator, addend, accumulator); break;
                    case ReduceOp.Max: TensorPrimitives.Max(accumulator, addend, accumulator); break;
                    case ReduceOp.Min: TensorPrimitives.Min(accumulator, addend, accumulator); break;
                    default: throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduce operation.");
                }
            }
            if (op == ReduceOp.Average) TensorPrimitives.Multiply(accumulator, 1f / Size, accumulator);
            if (!copyToEveryRank) continue;
            for (int r = 0; r < Size; r++)
                if (r != me) accumulator.CopyTo(Span(_receive[r], sourceOffset + done, n));
        }
    }

    private (long Start, int Length) ChunkOf(int member, int total)
    {
        long start = (long)total * member / Size;
        long end = (long)total * (member + 1) / Size;
        return (start, (int)(end - start));
    }

    private static Span<float> Span(nint buffer, long offset, int length) =>
        new((float*)buffer + offset, length);

    private CollectiveMismatchException Mismatch(int me)
    {
        var text = new StringBuilder();
        text.Append($"Ranks of {Name} entered different collectives as call #{_callNumbers[me]}: ");
        text.Append(string.Join(", ", Enumerable.Range(0, Size).Select(r => $"rank {r} {_calls[r]}")));
        text.Append(". Every rank of a group must call the same collectives, with the same sizes, in the same order.");
        return new CollectiveMismatchException(text.ToString());
    }

    private InvalidOperationException ConcurrentUse(int me, CollectiveCall call, InProcessCommunicator busy) => new(
        $"{call} on {Name} (rank {me} of {Size}, world rank {_worldRanks[me]}): this rank is already inside a collective on {busy.Name} " +
        "on another thread. A rank must run its collectives from one thread at a time (run the two forwards one after the other, " +
        "or give each its own ranks); two at once would pair with the other ranks' calls in an order nobody chose.");

    private string Describe(int member) => $"{_calls[member]} (call #{_callNumbers[member]}) on {Name} (rank {member} of {Size})";
}
