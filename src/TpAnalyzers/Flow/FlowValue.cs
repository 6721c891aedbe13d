using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// The placement of one DTensor value and where it came from, in words for messages
/// ("the output of row layer 'Down' with ReduceResults = false").
/// </summary>
internal readonly struct FlowValue
{
    public FlowValue(Layout layout, string origin, string? gatheredBy = null, long? features = null)
    {
        Layout = layout;
        Origin = origin;
        GatheredBy = gatheredBy;
        Features = features;
    }

    public static FlowValue Unknown => default;

    public Layout Layout { get; }

    public string Origin { get; }

    /// <summary>Set when this replicated value was made by all-gathering a shard: who gathered it (for TP0005).</summary>
    public string? GatheredBy { get; }

    /// <summary>The full feature count when it is a compile-time constant (for TP0005's cost).</summary>
    public long? Features { get; }

    public bool IsKnown => Origin is not null && Layout != Layout.Unknown;

    public bool IsPartial => IsKnown && Layout == Layout.PartialSum;

    /// <summary>The same value with another layout, e.g. after an element-wise op that keeps it.</summary>
    public FlowValue With(Layout layout) => new(layout, Origin, GatheredBy, Features);
}
