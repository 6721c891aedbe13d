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
    /// How the divided dimension is cut beyond an equal share: heads and fused segments per rank, replicated key/value
    /// heads, vocabulary padding. Empty for a plain split.
    /// </summary>
    public string Layout { get; init; } = "";

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
        int local = TensorParallelChecks.LocalSize(layerName, layer.Split, (int)contract.Split.DividedSize(inFeatures, outFeatures), tp);
        var plan = Build(layerName, layer, inFeatures, outFeatures, hasBias, local, tokens, tp);
        return contract.Split.Kind == Contract.SplitKind.Vocab ? plan with { Layout = VocabularySplit.Of(outFeatures, tp, 0).ToString() } : plan;
    }

    /// <summary>
    /// The plan of a layer as generated modules build it: <paramref name="inFeatures"/> and <paramref name="outFeatures"/> (baked
    /// in where the initializer fixes them), the bias and the head/segment layout of the divided dimension read from
    /// <paramref name="linear"/>, so a rank's heads, its replicated key/value heads and each fused segment's share show.
    /// </summary>
    public static LayerPlan Create(string layerName, TensorParallelAttribute layer, int inFeatures, int outFeatures, Linear linear, int tp, int tokens)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(linear);
        var contract = RuntimeContract.Of(layer);
        bool dividesIn = contract.Split.Divides == Contract.DividedDimension.InFeatures;
        var layout = dividesIn ? linear.InputLayout : linear.OutputLayout;
        if (layout.IsPlain || contract.Split.Kind == Contract.SplitKind.Vocab)
            return Create(layerName, layer, inFeatures, outFeatures, linear.HasBias, tp, tokens);
        // A row split never replicates: a replicated input slice would be summed twice by the reduce.
        int local = layout.LocalFeatures(layerName, layer.Split, tp, allowReplication: !dividesIn);
        return Build(layerName, layer, inFeatures, outFeatures, linear.HasBias, local, tokens, tp) with
        {
            Layout = DescribeLayout(layout, layerName, layer.Split, tp, allowReplication: !dividesIn),
        };
    }

    /// <summary>
    /// The plan of an embedding table split by vocabulary id: each rank holds the rows of its ids (padded so the degree
    /// divides the vocabulary) and one all-reduce of the looked-up rows completes every token's embedding.
    /// </summary>
    public static LayerPlan Create(string layerName, TensorParallelAttribute layer, Embedding table, int tp, int tokens)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(table);
        if (layer.Split != Split.Vocab)
            throw new ArgumentException($"Embedding '{layerName}' is split by vocabulary id: mark it [TensorParallel(Split.Vocab)], not Split.{layer.Split}.", nameof(layer));
        var split = VocabularySplit.Of(table.Vocabulary, tp, 0);
        var allReduce = new PlannedCollective(CollectiveKind.AllReduce,
            Contract.Transitions.BytesPerRank(Contract.Move.AllReduce, tokens, table.Features, tp));
        return new LayerPlan(layerName, Split.Vocab, "embedding rows by id", table.Vocabulary, table.Features, split.Local, table.Features,
            HasBias: false, PlacementKind.Replicate, PlacementKind.Replicate, [allReduce]) { Layout = split.ToString() };
    }

    private static LayerPlan Build(string layerName, TensorParallelAttribute layer, int inFeatures, int outFeatures, bool hasBias, int local, int tokens, int tp)
    {
        var contract = RuntimeContract.Of(layer);
        bool dividesIn = contract.Split.Divides == Contract.DividedDimension.InFeatures;
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

    // "q: 32 heads x 64 -> 16/rank | k: 4 heads x 64 -> 1/rank (each on 2 ranks)"
    private static string DescribeLayout(FeatureLayout layout, string layerName, Split split, int tp, bool allowReplication)
    {
        var blocks = layout.LocalBlocks(layerName, split, 0, tp, allowReplication);
        return string.Join(" | ", blocks.Select(block =>
        {
            var segment = block.Segment;
            int units = block.Length / segment.UnitSize;
            string unit = segment.IsHeads ? $"heads x {segment.UnitSize}" : "features";
            string shared = units * tp > segment.Units ? $" (each on {units * tp / segment.Units} ranks)" : "";
            return string.Create(CultureInfo.InvariantCulture, $"{segment.Name}: {segment.Units} {unit} -> {units}/rank{shared}");
        }));
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
        bool layouts = Layers.Any(l => l.Layout.Length > 0);
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
        // Heads, fused segments and vocabulary padding, only when some layer has them: a plain module's table stays as it was.
        if (layouts)
        {
            header = [.. header, "layout"];
            rows = rows.Select((row, i) => (string[])[.. row, Layers[i].Layout]).ToList();
        }
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
