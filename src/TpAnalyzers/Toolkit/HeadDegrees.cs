using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Which degrees split a count of attention heads whole, as FeatureLayout does at run time: query heads need a divisor;
/// key/value heads (grouped-query attention) take a divisor, or, on a column layer, a multiple that replicates each
/// KV head on tp / kvHeads ranks.
/// </summary>
internal static class HeadDegrees
{
    private const int Shown = 8;

    public static bool Allows(int heads, int tp, bool replicable) => tp >= 1 && (heads % tp == 0 || (replicable && tp % heads == 0));

    /// <summary>"1, 2, 4, 8, 16, ..." for 4 replicable KV heads; "1, 2, 3, 6" for 6 query heads.</summary>
    public static string ValidText(int heads, bool replicable)
    {
        if (!replicable) return Degrees.ValidText(heads);
        var valid = new SortedSet<long>(Degrees.Valid(heads));
        for (long multiple = heads; valid.Count < Shown + 1; multiple += heads) valid.Add(multiple);
        var shown = valid.Take(Shown).Select(d => d.ToString(CultureInfo.InvariantCulture));
        return string.Join(", ", shown) + ", ...";
    }
}
