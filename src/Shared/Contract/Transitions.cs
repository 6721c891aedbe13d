namespace TpCodegen.Contract;

/// <summary>
/// The one table of placement transitions: which <see cref="Move"/> turns a value of one layout into another, what a
/// move costs, and which layout a value's gradient has. DTensor.Redistribute runs it; the split contracts derive
/// every forward and backward collective from it; the analyzers read it to know what a redistribution does.
/// </summary>
internal static class Transitions
{
    /// <summary>The move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static Move Between(Layout from, Layout to) => (from, to) switch
    {
        _ when from == to && from != Layout.Unknown => Move.None,
        (Layout.Replicate, Layout.ShardLast) => Move.LocalSlice,
        (Layout.ShardLast, Layout.Replicate) => Move.AllGather,
        (Layout.PartialSum, Layout.Replicate) => Move.AllReduce,
        (Layout.PartialSum, Layout.ShardLast) => Move.ReduceScatter,
        _ => Move.Impossible,
    };

    /// <summary>Whether the move is a collective (the group's ranks exchange data), as opposed to nothing or a local copy.</summary>
    public static bool IsCollective(Move move) => move is Move.AllGather or Move.AllReduce or Move.ReduceScatter;

    /// <summary>
    /// The bytes each rank sends into the move's collective for a float value of <paramref name="tokens"/> x
    /// <paramref name="features"/> (the whole value's features) over <paramref name="tp"/> ranks, as the process
    /// group's counters count them: an all-gather sends this rank's slice, a reduction the whole addend.
    /// </summary>
    public static long BytesPerRank(Move move, long tokens, long features, int tp) => move switch
    {
        Move.AllGather => tokens * (features / tp) * sizeof(float),
        Move.AllReduce or Move.ReduceScatter => tokens * features * sizeof(float),
        _ => 0,
    };

    /// <summary>
    /// The layout of the gradient of a value with <paramref name="layout"/>: a slice's gradient is the same slice, a
    /// replicated value's is replicated, and a partial sum's is the full gradient of the value it reduces to.
    /// </summary>
    public static Layout GradientOf(Layout layout) => layout == Layout.PartialSum ? Layout.Replicate : layout;

    /// <summary>"Replicate", "Shard(-1)", "Partial(Sum)": how placements print at run time and in messages.</summary>
    public static string Display(Layout layout) => layout switch
    {
        Layout.Replicate => "Replicate",
        Layout.ShardLast => "Shard(-1)",
        Layout.PartialSum => "Partial(Sum)",
        _ => "unknown",
    };
}
