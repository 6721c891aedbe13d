using System.Collections.Immutable;
using System.Linq;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// The placement of one DTensor value and where it came from, in words for messages
/// ("the output of row layer 'Down' with ReduceResults = false").
/// </summary>
internal readonly struct FlowValue
{
    public FlowValue(Layout layout, string origin, string? gatheredBy = null, long? features = null)
        : this(layout, origin, gatheredBy, features, 0)
    {
    }

    private FlowValue(Layout layout, string? origin, string? gatheredBy, long? features, int parameterTag, HeadCount? heads = null, bool localView = false, string? vocabulary = null, ImmutableArray<FlowValue> elements = default)
    {
        Layout = layout;
        Origin = origin!;
        _parameterTag = parameterTag;
        _details = gatheredBy is null && features is null && heads is null && !localView && vocabulary is null && elements.IsDefault
            ? null
            : new Details(gatheredBy, features, heads, localView, vocabulary, elements);
    }

    /// <summary>
    /// A tuple whose elements are followed one by one (<c>return (Down.Forward(h), cache);</c>, then <c>var (y, c) =
    /// Attention(x)</c>): not a DTensor itself, so no rule reports on it.
    /// </summary>
    public static FlowValue Tuple(ImmutableArray<FlowValue> elements) => new(Layout.Unknown, null, null, null, 0, elements: elements);

    /// <summary>The elements of a tuple value; default for any other.</summary>
    public ImmutableArray<FlowValue> Elements => _details?.Elements ?? default;

    // Ordinal + 1, so that default(FlowValue) carries no parameter.
    private readonly int _parameterTag;

    // What few values carry, kept apart so that the value itself stays small: the walk copies values into arrays and
    // dictionaries at every operation, and a struct of eight fields cost more in those copies than the rules did.
    private readonly Details? _details;

    private sealed record Details(string? GatheredBy, long? Features, HeadCount? Heads, bool IsLocalView, string? VocabularyOf, ImmutableArray<FlowValue> Elements);

    /// <summary>The global head count of the column layer whose shard this is, when its OutputLayout names heads (for TP0020).</summary>
    public HeadCount? Heads => _details?.Heads;

    /// <summary>
    /// True for <c>x.Local</c>, the rank's own tensor under a DTensor: it keeps the DTensor's placement for the rules that
    /// ask about the shard's shape (TP0020), and is not a DTensor value to the others (<see cref="IsKnown"/> is false).
    /// </summary>
    public bool IsLocalView => _details?.IsLocalView == true;

    /// <summary>The vocabulary-parallel layer whose logits this shard is ("vocab layer 'Head'"), for TP0021.</summary>
    public string? VocabularyOf => _details?.VocabularyOf;

    public static FlowValue Unknown => default;

    /// <summary>
    /// "Whatever the caller passes as parameter <paramref name="ordinal"/>": what a method summary follows through a
    /// helper's body (<see cref="MethodSummaries"/>). Its layout is Unknown, so no rule reports on it.
    /// </summary>
    public static FlowValue OfParameter(int ordinal) => new(Layout.Unknown, null, null, null, ordinal + 1);

    public Layout Layout { get; }

    public string Origin { get; }

    /// <summary>Set when this replicated value was made by all-gathering a shard: who gathered it (for TP0005).</summary>
    public string? GatheredBy => _details?.GatheredBy;

    /// <summary>The full feature count when it is a compile-time constant (for TP0005's cost).</summary>
    public long? Features => _details?.Features;

    /// <summary>The parameter this value is, unchanged (or through an element-wise op), in a summary's walk; else -1.</summary>
    public int Parameter => _parameterTag - 1;

    public bool IsKnown => Origin is not null && Layout != Layout.Unknown && !IsLocalView;

    public bool IsPartial => IsKnown && Layout == Layout.PartialSum;

    /// <summary>The same value with another layout, e.g. after an element-wise op that keeps it.</summary>
    public FlowValue With(Layout layout) => new(layout, Origin, GatheredBy, Features, _parameterTag, Heads, IsLocalView, VocabularyOf);

    /// <summary>The same value, a shard of a layer whose output is made of <paramref name="heads"/>.</summary>
    public FlowValue WithHeads(HeadCount? heads) => new(Layout, Origin, GatheredBy, Features, _parameterTag, heads, IsLocalView, VocabularyOf);

    /// <summary>The same value, the logits of the vocabulary-parallel layer <paramref name="layer"/>.</summary>
    public FlowValue WithVocabulary(string? layer) => new(Layout, Origin, GatheredBy, Features, _parameterTag, Heads, IsLocalView, layer);

    /// <summary>The rank's local tensor under this DTensor (<c>x.Local</c>).</summary>
    public FlowValue AsLocalView() => Origin is null ? Unknown : new(Layout, Origin, GatheredBy, Features, 0, Heads, localView: true, VocabularyOf);

    /// <summary>The same value, its origin told as reached through <paramref name="suffix"/> (", returned by 'Mlp'").</summary>
    public FlowValue WithOriginSuffix(string suffix) =>
        IsKnown ? new(Layout, Origin + suffix, GatheredBy, Features, 0, Heads, IsLocalView, VocabularyOf)
        : Elements.IsDefault ? this
        : Tuple(Elements.Select(e => e.WithOriginSuffix(suffix)).ToImmutableArray());

    /// <summary>
    /// The value where two paths meet. Partial on any path is partial (the reduce is missing on that path); otherwise
    /// the layout both paths agree on, or Unknown.
    /// </summary>
    public static FlowValue Join(FlowValue a, FlowValue b)
    {
        if (a.IsPartial) return a;
        if (b.IsPartial) return b;
        // Most joins (a loop's passes, branches that leave a local alone) meet the same value: nothing new to make.
        if (a.SameAs(b)) return a;
        if (!a.Elements.IsDefault && !b.Elements.IsDefault && a.Elements.Length == b.Elements.Length)
            return Tuple(a.Elements.Zip(b.Elements, Join).ToImmutableArray());
        int tag = a._parameterTag == b._parameterTag ? a._parameterTag : 0;
        if (!a.IsKnown || !b.IsKnown || a.Layout != b.Layout) return tag == 0 ? Unknown : new FlowValue(Layout.Unknown, null, null, null, tag);
        return new FlowValue(
            a.Layout,
            a.Origin,
            a.GatheredBy == b.GatheredBy ? a.GatheredBy : null,
            a.Features == b.Features ? a.Features : null,
            tag,
            Equals(a.Heads, b.Heads) ? a.Heads : null,
            vocabulary: a.VocabularyOf == b.VocabularyOf ? a.VocabularyOf : null);
    }

    /// <summary>The join where <paramref name="single"/> is reached only with one rank, where a partial sum is whole.</summary>
    public static FlowValue JoinOverSingleRank(FlowValue multi, FlowValue single) => single.IsPartial ? multi : Join(multi, single);

    public bool SameAs(FlowValue other) =>
        Layout == other.Layout && Origin == other.Origin && GatheredBy == other.GatheredBy && Features == other.Features && _parameterTag == other._parameterTag &&
        Equals(Heads, other.Heads) && IsLocalView == other.IsLocalView && VocabularyOf == other.VocabularyOf && SameElements(Elements, other.Elements);

    private static bool SameElements(ImmutableArray<FlowValue> a, ImmutableArray<FlowValue> b)
    {
        if (a.IsDefault || b.IsDefault) return a.IsDefault == b.IsDefault;
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (!a[i].SameAs(b[i])) return false;
        }
        return true;
    }
}

/// <summary>A layer's global head count as its OutputLayout gives it: the expression as written, and its value when constant.</summary>
internal sealed record HeadCount(string Text, int? Value);
