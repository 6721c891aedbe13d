using System.Globalization;

namespace TpCodegen;

/// <summary>
/// One segment of a feature dimension: <see cref="Units"/> units (attention heads, or single features) of
/// <see cref="UnitSize"/> features each. A tensor-parallel split never cuts inside a unit.
/// </summary>
/// <param name="Name">For messages, plans and checkpoints: "q", "k", "v", "gate", "up", ... A fused layer whose checkpoint
/// stores the segments as separate tensors reads segment <c>s</c> of member <c>M</c> from <c>M.s.weight</c>.</param>
/// <param name="Units">How many units the segment holds (heads, or features when <see cref="UnitSize"/> is 1).</param>
/// <param name="UnitSize">Features per unit (the head dimension for heads).</param>
/// <param name="Replicable">
/// True for key/value heads under grouped-query attention: when the degree exceeds the unit count (and is a multiple of
/// it), each unit is replicated on <c>tp / Units</c> consecutive ranks instead of being cut (vLLM's QKVParallelLinear).
/// </param>
public sealed record FeatureSegment(string Name, int Units, int UnitSize, bool Replicable = false)
{
    /// <summary>Features in the segment.</summary>
    public int Features => Units * UnitSize;

    /// <summary>True when the segment's units are attention heads (more than one feature each).</summary>
    public bool IsHeads => UnitSize > 1;
}

/// <summary>One contiguous run of a rank's features inside the dense dimension: where it starts and how long it is.</summary>
public readonly record struct FeatureBlock(FeatureSegment Segment, int SegmentIndex, int Start, int Length, int StartInSegment);

/// <summary>
/// How a linear layer's split dimension is made: one plain run of features, whole attention heads, or several segments
/// fused side by side (q|k|v, gate|up). A column split cuts each segment separately, so each rank gets its heads (or
/// its slice) of EVERY segment and never a contiguous 1/tp of the fused dimension, which would hand one rank all the
/// queries and another all the values.
/// </summary>
public sealed class FeatureLayout : IEquatable<FeatureLayout>
{
    private FeatureLayout(IReadOnlyList<FeatureSegment> segments)
    {
        if (segments.Count == 0) throw new ArgumentException("A feature layout needs at least one segment.", nameof(segments));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var segment in segments)
        {
            ArgumentNullException.ThrowIfNull(segment);
            if (segment.Units < 1 || segment.UnitSize < 1)
                throw new ArgumentOutOfRangeException(nameof(segments), $"Segment '{segment.Name}' has {segment.Units} units of {segment.UnitSize} features: both must be at least 1.");
            if (!names.Add(segment.Name))
                throw new ArgumentException($"Two segments are named '{segment.Name}'.", nameof(segments));
        }
        Segments = segments;
        Features = checked(segments.Sum(s => s.Features));
    }

    /// <summary>The segments, in the order they sit along the dimension.</summary>
    public IReadOnlyList<FeatureSegment> Segments { get; }

    /// <summary>Features of the whole dimension.</summary>
    public int Features { get; }

    /// <summary>True for a single segment of single features: a plain contiguous split.</summary>
    public bool IsPlain => Segments.Count == 1 && Segments[0].UnitSize == 1 && !Segments[0].Replicable;

    /// <summary>A plain run of <paramref name="features"/> features.</summary>
    public static FeatureLayout Plain(int features) => new([new FeatureSegment("features", features, 1)]);

    /// <summary><paramref name="heads"/> attention heads of <paramref name="headDim"/> features; the degree must divide the heads.</summary>
    public static FeatureLayout Heads(int heads, int headDim, string name = "heads") => new([new FeatureSegment(name, heads, headDim)]);

    /// <summary>
    /// Key or value heads of grouped-query attention: split like heads while the degree divides them, replicated on
    /// <c>tp / kvHeads</c> ranks when the degree is a multiple of them.
    /// </summary>
    public static FeatureLayout KeyValueHeads(int kvHeads, int headDim, string name = "kv_heads") =>
        new([new FeatureSegment(name, kvHeads, headDim, Replicable: true)]);

    /// <summary>A fused q|k|v projection: each rank takes its query heads and its key/value heads from each third.</summary>
    public static FeatureLayout Qkv(int heads, int kvHeads, int headDim) => new([
        new FeatureSegment("q", heads, headDim),
        new FeatureSegment("k", kvHeads, headDim, Replicable: true),
        new FeatureSegment("v", kvHeads, headDim, Replicable: true)]);

    /// <summary>Plain segments fused side by side, e.g. <c>Fused(("gate", 11008), ("up", 11008))</c>.</summary>
    public static FeatureLayout Fused(params (string Name, int Features)[] segments) =>
        new(segments.Select(s => new FeatureSegment(s.Name, s.Features, 1)).ToArray());

    /// <summary>Any segments, in order.</summary>
    public static FeatureLayout Of(params FeatureSegment[] segments) => new(segments.ToArray());

    /// <summary>
    /// The features rank <paramref name="rank"/> of <paramref name="tp"/> owns, segment by segment, as runs of the dense
    /// dimension. Throws a <see cref="Parallel.TensorParallelDegreeException"/> naming the layer, the segment, its count
    /// and the valid degrees when the degree cannot split a segment whole.
    /// </summary>
    /// <param name="allowReplication">False for a row split: a replicated input slice would be summed twice.</param>
    public IReadOnlyList<FeatureBlock> LocalBlocks(string layerName, Split split, int rank, int tp, bool allowReplication = true)
    {
        if (tp < 1) throw new ArgumentOutOfRangeException(nameof(tp), tp, $"{split} layer '{layerName}': the tensor-parallel degree must be at least 1.");
        if ((uint)rank >= (uint)tp) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"{split} layer '{layerName}': rank must be in [0, {tp}).");
        if (IsPlain)
        {
            // A plain dimension is the split every layer had before layouts: one contiguous block, the same checks and message.
            int local = Parallel.TensorParallelChecks.LocalSize(layerName, split, Features, tp);
            return [new FeatureBlock(Segments[0], 0, rank * local, local, rank * local)];
        }
        var blocks = new List<FeatureBlock>(Segments.Count);
        int offset = 0;
        for (int s = 0; s < Segments.Count; s++)
        {
            var segment = Segments[s];
            var (firstUnit, units) = LocalUnits(layerName, split, segment, rank, tp, allowReplication);
            int startInSegment = firstUnit * segment.UnitSize;
            blocks.Add(new FeatureBlock(segment, s, offset + startInSegment, units * segment.UnitSize, startInSegment));
            offset += segment.Features;
        }
        return blocks;
    }

    /// <summary>Features one rank holds at degree <paramref name="tp"/> (the same on every rank).</summary>
    public int LocalFeatures(string layerName, Split split, int tp, bool allowReplication = true) =>
        LocalBlocks(layerName, split, 0, tp, allowReplication).Sum(b => b.Length);

    /// <summary>Every degree at which each segment splits whole (or, where allowed, replicates), ascending, up to <paramref name="limit"/>.</summary>
    public IReadOnlyList<int> ValidDegrees(bool allowReplication = true, int limit = 4096)
    {
        var degrees = new List<int>();
        for (int tp = 1; tp <= limit; tp++)
            if (Segments.All(s => Splits(s, tp, allowReplication))) degrees.Add(tp);
        return degrees;
    }

    private static bool Splits(FeatureSegment segment, int tp, bool allowReplication) =>
        segment.Units % tp == 0 || (allowReplication && segment.Replicable && tp % segment.Units == 0);

    private (int FirstUnit, int Units) LocalUnits(string layerName, Split split, FeatureSegment segment, int rank, int tp, bool allowReplication)
    {
        if (segment.Units % tp == 0)
        {
            int units = segment.Units / tp;
            return (rank * units, units);
        }
        if (allowReplication && segment.Replicable && tp % segment.Units == 0)
            return (rank / (tp / segment.Units), 1); // ranks [u*tp/U, (u+1)*tp/U) share unit u
        throw DegreeError(layerName, split, segment, tp, allowReplication);
    }

    private Parallel.TensorParallelDegreeException DegreeError(string layerName, Split split, FeatureSegment segment, int tp, bool allowReplication)
    {
        var valid = ValidDegrees(allowReplication, limit: Math.Max(64, Segments.Max(s => s.Units)));
        string what = segment.IsHeads ? $"{segment.Units} {segment.Name} heads of {segment.UnitSize}" : $"{segment.Units} {segment.Name} features";
        string rule = segment.Replicable && allowReplication
            ? $"tp must divide the {segment.Units} heads or be a multiple of them (then each head is replicated)"
            : segment.IsHeads ? "a head is never cut, so tp must divide the head count" : "tp must divide them";
        string fused = Segments.Count > 1 ? $" (segment {segment.Name} of {string.Join("|", Segments.Select(s => s.Name))}, split per segment)" : "";
        string message = string.Create(CultureInfo.InvariantCulture,
            $"{split} layer '{layerName}': {what}{fused} cannot be split over tp={tp}: {rule}; valid tp: {string.Join(", ", valid.Take(8))}{(valid.Count > 8 ? ", ..." : "")}");
        return new Parallel.TensorParallelDegreeException(layerName, split, segment.IsHeads ? segment.Name + " heads" : segment.Name + " features", segment.Units, tp, valid, message);
    }

    public bool Equals(FeatureLayout? other) => other is not null && Segments.SequenceEqual(other.Segments);

    public override bool Equals(object? obj) => Equals(obj as FeatureLayout);

    public override int GetHashCode() => Segments.Aggregate(0, (hash, s) => HashCode.Combine(hash, s));

    public override string ToString() => IsPlain
        ? Features.ToString(CultureInfo.InvariantCulture)
        : string.Join(" | ", Segments.Select(s => s.IsHeads
            ? string.Create(CultureInfo.InvariantCulture, $"{s.Name}: {s.Units}x{s.UnitSize}{(s.Replicable ? " (kv)" : "")}")
            : string.Create(CultureInfo.InvariantCulture, $"{s.Name}: {s.Units}")));
}
