namespace TpCodegen.Collectives;

/// <summary>
/// What one rank of a group has asked of its collectives: how many calls of each kind and how many bytes
/// each rank contributed to them. Tests use it to prove that a block costs exactly one all-reduce; samples
/// print it. A rank runs its collectives in order, but one group object may serve several threads (the shared
/// <see cref="SingleRankGroup.Instance"/>), so the counts are updated atomically.
/// </summary>
public sealed class CollectiveCounters
{
    private readonly long[] _calls = new long[Enum.GetValues<CollectiveKind>().Length];
    private readonly long[] _bytes = new long[Enum.GetValues<CollectiveKind>().Length];

    /// <summary>Calls of <paramref name="kind"/> since creation or the last <see cref="Reset"/>.</summary>
    public long Calls(CollectiveKind kind) => Interlocked.Read(ref _calls[(int)kind]);

    /// <summary>Bytes this rank sent into calls of <paramref name="kind"/>.</summary>
    public long Bytes(CollectiveKind kind) => Interlocked.Read(ref _bytes[(int)kind]);

    /// <summary>Calls of every kind except <see cref="CollectiveKind.Barrier"/> and <see cref="CollectiveKind.Split"/>.</summary>
    public long DataCalls =>
        Calls(CollectiveKind.AllReduce) + Calls(CollectiveKind.AllGather) +
        Calls(CollectiveKind.ReduceScatter) + Calls(CollectiveKind.Broadcast);

    internal void Record(CollectiveKind kind, long bytes)
    {
        Interlocked.Increment(ref _calls[(int)kind]);
        Interlocked.Add(ref _bytes[(int)kind], bytes);
    }

    /// <summary>Forgets every count.</summary>
    public void Reset()
    {
        Array.Clear(_calls);
        Array.Clear(_bytes);
    }

    /// <summary>One line, for example <c>AllReduce x1 (4.0 KiB), AllGather x0</c>.</summary>
    public override string ToString() => string.Join(", ",
        Enum.GetValues<CollectiveKind>()
            .Where(k => Calls(k) > 0)
            .Select(k => $"{k} x{Calls(k)} ({FormatBytes(Bytes(k))})")
            .DefaultIfEmpty("no collectives"));

    internal static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
    };
}
