using System.Globalization;
using System.Text;
using TpCodegen.Collectives;

namespace TpCodegen.Parallel;

/// <summary>One collective a layer's forward runs, with the bytes each rank sends into it (as <see cref="CollectiveCounters"/> counts them).</summary>
public readonly record struct PlannedCollective(CollectiveKind Kind, long BytesPerRank)
{
    public override string ToString() => $"{Kind} {CollectiveCounters.FormatBytes(BytesPerRank)}";
}

/// <summary>One marked layer of a module's plan: what each rank holds and what one forward moves.</summary>
public sealed record LayerPlan(
    string LayerName,
    Split Split,
    string Options,
    int InFeatures,
    int OutFeatures,
    int LocalInFeatures,
    int LocalOutFeatures,
    bool HasBias,
    PlacementKind Input,
    PlacementKind Output,
    IReadOnlyList<PlannedCollective> Collectives)
{
    /// <summary>Bytes of weight and bias one rank holds (the bias is as wide as the rank's output).</summary>
    public long WeightBytesPerRank => ((long)LocalInFeatures * LocalOutFeatures + (HasBias ? LocalOutFeatures : 0)) * sizeof(float);

    /// <summary>
    /// The plan of layer <paramref name="layerName"/>, marked <paramref name="layer"/>, at degree <paramref name="tp"/> for
    /// <paramref name="tokens"/> tokens, from the split contract: the placements it takes and returns and the collectives
    /// of its forward. Throws a <see cref="TensorParallelDegreeException"/> when <paramref name="tp"/> does not divide the
    /// dimension the split divides.
    /// </summary>
    public static LayerPlan Create(string layerName, TensorParallelAttribute layer, int inFeatures, int outFeatures, bool hasBias, int tp, int tokens)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        var contract = RuntimeContract.Of(layer);
        var split = contract.Split;
        int local = TensorParallelChecks.LocalSize(layerName, layer.Split, (int)split.DividedSize(inFeatures, outFeatures), tp);
        bool dividesIn = split.Divides == Contract.DividedDimension.InFeatures;
        // Before the GEMM the layer's input moves, after it the output: each move's bytes are counted on that value.
        var moves = new[] { (Move: contract.ForwardInput, Features: inFeatures), (Move: contract.ForwardOutput, Features: outFeatures) };
        var collectives = moves
            .Where(m => RuntimeContract.CollectiveOf(m.Move) is not null)
            .Select(m => new PlannedCollective(RuntimeContract.CollectiveOf(m.Move)!.Value, Contract.Transitions.BytesPerRank(m.Move, tokens, m.Features, tp)))
            .ToArray();
        return new LayerPlan(layerName, layer.Split, contract.Describe(), inFeatures, outFeatures,
            dividesIn ? local : inFeatures, dividesIn ? outFeatures : local, hasBias,
            RuntimeContract.ToKind(contract.Input), RuntimeContract.ToKind(contract.Output), collectives);
    }
}

/// <summary>
/// What a tensor-parallel module does at one degree and token count: per layer the split, the global and local
/// shapes, and the collectives of one forward with their bytes. Generated <c>GetPlan(tp, tokens)</c> builds it;
/// <see cref="ToString"/> prints it as a table.
/// </summary>
public sealed record TensorParallelPlan(string ModuleName, int Degree, int Tokens, IReadOnlyList<LayerPlan> Layers)
{
    /// <summary>Every collective of one forward, in layer order.</summary>
    public IEnumerable<PlannedCollective> Collectives => Layers.SelectMany(l => l.Collectives);

    /// <summary>Calls of <paramref name="kind"/> in one forward.</summary>
    public int Count(CollectiveKind kind) => Collectives.Count(c => c.Kind == kind);

    /// <summary>Bytes each rank sends into calls of <paramref name="kind"/> in one forward.</summary>
    public long Bytes(CollectiveKind kind) => Collectives.Where(c => c.Kind == kind).Sum(c => c.BytesPerRank);

    /// <summary>Bytes of weights and biases each rank holds.</summary>
    public long WeightBytesPerRank => Layers.Sum(l => l.WeightBytesPerRank);

    public override string ToString()
    {
        string[] header = ["layer", "split", "options", "global [in, out]", "local [in, out]", "placement", "weights/rank", "collectives (per rank)"];
        var rows = Layers.Select(l => new[]
        {
            l.LayerName,
            l.Split.ToString(),
            l.Options,
            Shape(l.InFeatures, l.OutFeatures),
            Shape(l.LocalInFeatures, l.LocalOutFeatures),
            $"{Name(l.Input)} -> {Name(l.Output)}",
            CollectiveCounters.FormatBytes(l.WeightBytesPerRank),
            l.Collectives.Count == 0 ? "none" : string.Join(", ", l.Collectives),
        }).ToList();
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Tensor-parallel plan of {ModuleName}: tp={Degree}, tokens={Tokens}").AppendLine();
        AppendRow(text, header, widths);
        AppendRow(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in rows) AppendRow(text, row, widths);
        var kinds = Collectives.GroupBy(c => c.Kind).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} x{g.Count()} ({CollectiveCounters.FormatBytes(g.Sum(c => c.BytesPerRank))})");
        text.Append("one forward: ").Append(string.Join(", ", kinds.DefaultIfEmpty("no collectives")))
            .Append("; weights per rank: ").Append(CollectiveCounters.FormatBytes(WeightBytesPerRank));
        return text.ToString();
    }

    private static string Shape(int rows, int columns) => string.Create(CultureInfo.InvariantCulture, $"[{rows}, {columns}]");

    private static string Name(PlacementKind kind) => Contract.Transitions.Display(RuntimeContract.ToLayout(kind));

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0) text.Append(" | ");
            text.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]));
        }
        text.AppendLine();
    }
}
