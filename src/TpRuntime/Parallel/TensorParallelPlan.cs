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
    /// <summary>Bytes of weight and bias one rank holds.</summary>
    public long WeightBytesPerRank =>
        ((long)LocalInFeatures * LocalOutFeatures + (HasBias ? (Split == Split.Column ? LocalOutFeatures : OutFeatures) : 0)) * sizeof(float);

    /// <summary>
    /// The plan of a column layer at degree <paramref name="tp"/> for <paramref name="tokens"/> tokens. Throws a
    /// <see cref="TensorParallelDegreeException"/> when <paramref name="tp"/> does not divide the output features.
    /// </summary>
    public static LayerPlan Column(string layerName, int inFeatures, int outFeatures, bool hasBias, bool gatherOutput, bool skipBiasAdd, int tp, int tokens)
    {
        int localOut = TensorParallelChecks.LocalSize(layerName, Split.Column, outFeatures, tp);
        var collectives = gatherOutput
            ? new[] { new PlannedCollective(CollectiveKind.AllGather, (long)tokens * localOut * sizeof(float)) }
            : [];
        return new LayerPlan(layerName, Split.Column, Describe(gatherOutput ? "gather" : null, skipBiasAdd ? "skip-bias" : null),
            inFeatures, outFeatures, inFeatures, localOut, hasBias,
            PlacementKind.Replicate, gatherOutput ? PlacementKind.Replicate : PlacementKind.ShardLast, collectives);
    }

    /// <summary>
    /// The plan of a row layer at degree <paramref name="tp"/> for <paramref name="tokens"/> tokens. Throws a
    /// <see cref="TensorParallelDegreeException"/> when <paramref name="tp"/> does not divide the input features.
    /// </summary>
    public static LayerPlan Row(string layerName, int inFeatures, int outFeatures, bool hasBias, bool inputIsParallel, bool reduceResults, bool skipBiasAdd, int tp, int tokens)
    {
        int localIn = TensorParallelChecks.LocalSize(layerName, Split.Row, inFeatures, tp);
        var collectives = reduceResults
            ? new[] { new PlannedCollective(CollectiveKind.AllReduce, (long)tokens * outFeatures * sizeof(float)) }
            : [];
        return new LayerPlan(layerName, Split.Row,
            Describe(inputIsParallel ? null : "scatter-input", reduceResults ? null : "partial-out", skipBiasAdd ? "skip-bias" : null),
            inFeatures, outFeatures, localIn, outFeatures, hasBias,
            inputIsParallel ? PlacementKind.ShardLast : PlacementKind.Replicate,
            reduceResults ? PlacementKind.Replicate : PlacementKind.PartialSum, collectives);
    }

    private static string Describe(params string?[] options)
    {
        var set = options.Where(o => o is not null).ToArray();
        return set.Length == 0 ? "-" : string.Join(",", set);
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

    private static string Name(PlacementKind kind) => kind switch
    {
        PlacementKind.Replicate => "Replicate",
        PlacementKind.ShardLast => "Shard(-1)",
        _ => "Partial(Sum)",
    };

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
