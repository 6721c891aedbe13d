using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TpCodegen.Contract;

/// <summary>Which tensor-parallel degrees a divided size allows, and the message when one does not.</summary>
internal static class Degrees
{
    // Enough divisors to show the pattern (11008 = 2^8 * 43: 1, 2, 4, ..., 43, 64, ...) without a wall of numbers.
    private const int Shown = 8;

    /// <summary>Whether <paramref name="tp"/> ranks can split <paramref name="size"/> into equal whole parts.</summary>
    public static bool Divides(long size, int tp) => tp >= 1 && size % tp == 0;

    /// <summary>Every positive divisor of <paramref name="size"/>, ascending (a square-root walk, even near long.MaxValue / 2).</summary>
    public static List<long> Valid(long size)
    {
        var low = new List<long>();
        var high = new List<long>();
        for (long d = 1; d * d <= size; d++)
        {
            if (size % d != 0) continue;
            low.Add(d);
            if (d != size / d) high.Add(size / d);
        }
        high.Reverse();
        low.AddRange(high);
        return low;
    }

    /// <summary>"1, 2, 4, 8, 16, 32, 43, 64, ...": the first valid degrees of <paramref name="size"/>.</summary>
    public static string ValidText(long size)
    {
        var valid = Valid(size);
        var text = new StringBuilder();
        for (int i = 0; i < valid.Count && i < Shown; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(valid[i].ToString(CultureInfo.InvariantCulture));
        }
        if (valid.Count > Shown) text.Append(", ...");
        return text.ToString();
    }

    /// <summary>
    /// "Row layer 'Down': input features 11008 is not divisible by tp=3; valid tp: 1, 2, 4, 8, 16, 32, 43, 64, ...".
    /// </summary>
    public static string NotDivisibleMessage(SplitContract split, string layerName, long size, int tp) =>
        string.Format(CultureInfo.InvariantCulture, "{0} layer '{1}': {2} {3} is not divisible by tp={4}; valid tp: {5}",
            split.Name, layerName, split.DividedName, size, tp, ValidText(size));
}
