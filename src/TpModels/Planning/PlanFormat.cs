using System.Globalization;
using System.Text;

namespace TpCodegen.Models.Planning;

/// <summary>Units and columns for the plan's tables, invariant culture.</summary>
internal static class PlanFormat
{
    public static string Bytes(double bytes) => bytes switch
    {
        < 1024 => Invariant($"{bytes:0} B"),
        < 1024 * 1024 => Invariant($"{bytes / 1024:0.#} KiB"),
        < 1024.0 * 1024 * 1024 => Invariant($"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => Invariant($"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Seconds(double seconds) => seconds switch
    {
        0 => "0",
        < 1e-3 => Invariant($"{seconds * 1e6:0.#} us"),
        < 1 => Invariant($"{seconds * 1e3:0.##} ms"),
        _ => Invariant($"{seconds:0.##} s"),
    };

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Rows as left-aligned columns (right-aligned where <paramref name="rightAligned"/> says), two spaces apart.</summary>
    public static void Table(StringBuilder text, string indent, IReadOnlyList<string[]> rows, params int[] rightAligned)
    {
        int columns = rows.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, c) => rightAligned.Contains(c) ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            text.Append(indent).AppendLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
