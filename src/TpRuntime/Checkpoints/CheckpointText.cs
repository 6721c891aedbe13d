namespace TpCodegen.Checkpoints;

/// <summary>Wording shared by checkpoint errors: quoted content is cut short, so a hostile name cannot make a message huge.</summary>
internal static class CheckpointText
{
    private const int QuoteLimit = 96;

    /// <summary><paramref name="text"/>, or its start and its length when it is longer than a message should carry.</summary>
    public static string Quote(string text) =>
        text.Length <= QuoteLimit ? text : $"{text[..QuoteLimit]}... ({text.Length} characters)";

    public static string Shape(IReadOnlyList<long> shape) =>
        shape.Count <= 8 ? $"[{string.Join(", ", shape)}]" : $"[{string.Join(", ", shape.Take(8))}, ... ({shape.Count} dimensions)]";

    /// <summary>
    /// Up to <paramref name="count"/> names most like <paramref name="wanted"/>: the longest shared start plus the
    /// longest shared end, which ranks <c>model.layers.0.mlp.gate_proj.weight</c> first for a missing
    /// <c>model.layers.0.mlp.gate.weight</c>, and <c>h.0.ln_1.weight</c> for <c>transformer.h.0.ln_1.weight</c>.
    /// Linear in the number of names, so it stays cheap on a header of a million tensors.
    /// </summary>
    public static string ClosestNames(string wanted, IEnumerable<string> names, int count = 5)
    {
        var best = names
            .Select(name => (Name: name, Score: Similarity(wanted, name)))
            .OrderByDescending(candidate => candidate.Score)
            .ThenBy(candidate => candidate.Name, StringComparer.Ordinal)
            .Take(count)
            .Select(candidate => Quote(candidate.Name))
            .ToList();
        return best.Count == 0 ? "none" : string.Join(", ", best);
    }

    private static int Similarity(string a, string b)
    {
        int prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix]) prefix++;
        int suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)]) suffix++;
        return prefix + suffix;
    }
}
