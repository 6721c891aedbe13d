namespace TpCodegen.Parallel;

/// <summary>
/// One rank's contiguous slice of a linear layer's weight and bias, cut once when the module is sharded so that the
/// forward's GEMM reads a dense row-major block: <c>[in, out / tp]</c> for a column shard, <c>[in / tp, out]</c> for a
/// row shard. Generated shard constructors take it.
/// </summary>
public sealed class LinearShard
{
    private LinearShard(string layerName, Split split, int rank, int tp, int inFeatures, int outFeatures, int localIn, int localOut, float[] weight, float[]? bias)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        LayerName = layerName;
        Split = split;
        Rank = rank;
        Degree = tp;
        LocalInFeatures = localIn;
        LocalOutFeatures = localOut;
        _weight = weight;
        Bias = bias;
    }

    public string LayerName { get; }

    public Split Split { get; }

    /// <summary>The rank whose slice this is.</summary>
    public int Rank { get; }

    /// <summary>The tensor-parallel degree the layer was cut for.</summary>
    public int Degree { get; }

    /// <summary>Input features of the whole layer.</summary>
    public int InFeatures { get; }

    /// <summary>Output features of the whole layer.</summary>
    public int OutFeatures { get; }

    public int LocalInFeatures { get; }

    public int LocalOutFeatures { get; }

    private readonly float[] _weight;

    /// <summary><c>[LocalInFeatures, LocalOutFeatures]</c>, row-major; read-only: the shard is cut once.</summary>
    public ReadOnlySpan<float> Weight => _weight;

    /// <summary>The weight packed for <see cref="Kernels.Gemm.Multiply(ReadOnlySpan{float}, Kernels.PackedWeight, Span{float}, int, ReadOnlySpan{float})"/>: generated shards keep this, not <see cref="Weight"/>, and dispose it with themselves.</summary>
    public Kernels.PackedWeight PackWeight() => Kernels.Gemm.Pack(_weight, LocalInFeatures, LocalOutFeatures);

    /// <summary>Column: this rank's slice of the bias. Row: the whole bias (it is added once, after the reduce). Null without bias.</summary>
    public float[]? Bias { get; }

    /// <summary>
    /// Rank <paramref name="rank"/> of <paramref name="tp"/>'s column shard of a dense layer: its columns of <c>W</c> and of
    /// the bias, segment by segment as the layer's <see cref="Linear.OutputLayout"/> says (whole heads; each segment of a
    /// fused weight cut separately; key/value heads replicated when the degree exceeds them).
    /// </summary>
    public static LinearShard Column(Linear? dense, string layerName, int rank, int tp)
    {
        var layer = Layer(dense, layerName);
        var blocks = layer.OutputLayout.LocalBlocks(layerName, Split.Column, rank, tp);
        int localOut = blocks.Sum(b => b.Length);
        int n = layer.OutFeatures;
        var source = layer.Weight;
        var weight = new float[(long)layer.InFeatures * localOut];
        for (int row = 0; row < layer.InFeatures; row++)
        {
            int column = 0;
            foreach (var block in blocks)
            {
                source.AsSpan(row * n + block.Start, block.Length).CopyTo(weight.AsSpan(row * localOut + column, block.Length));
                column += block.Length;
            }
        }
        var bias = layer.Bias is { } full ? Gather(full, blocks, localOut) : null;
        return new LinearShard(layerName, Split.Column, rank, tp, layer.InFeatures, n, layer.InFeatures, localOut, weight, bias);
    }

    /// <summary>
    /// Rank <paramref name="rank"/> of <paramref name="tp"/>'s row shard of a dense layer: its rows of <c>W</c> (whole heads
    /// when the layer's <see cref="Linear.InputLayout"/> has heads) and the whole bias.
    /// </summary>
    public static LinearShard Row(Linear? dense, string layerName, int rank, int tp)
    {
        var layer = Layer(dense, layerName);
        var blocks = RowBlocks(layer, layerName, rank, tp);
        int localIn = blocks.Sum(b => b.Length);
        int n = layer.OutFeatures;
        var weight = new float[(long)localIn * n];
        int row = 0;
        foreach (var block in blocks)
        {
            // A block of whole rows is contiguous in a row-major [in, out] weight: one copy.
            layer.Weight.AsSpan(block.Start * n, block.Length * n).CopyTo(weight.AsSpan(row * n));
            row += block.Length;
        }
        var bias = layer.Bias?.ToArray();
        return new LinearShard(layerName, Split.Row, rank, tp, layer.InFeatures, n, localIn, n, weight, bias);
    }

    /// <summary>
    /// The column shard of layer <paramref name="layerName"/> read from a checkpoint: tensors <c>prefix + layerName + ".weight"</c>
    /// (<c>[in, out]</c>) and <c>".bias"</c>; a fused layer whose checkpoint stores its segments apart reads segment
    /// <c>s</c> from <c>prefix + layerName + "." + s + ".weight"</c> (so separate q, k, v tensors load into one fused GEMM).
    /// </summary>
    public static LinearShard Column(ICheckpointShardSource source, string prefix, Linear? shape, string layerName, int rank, int tp)
    {
        ArgumentNullException.ThrowIfNull(source);
        var layer = Layer(shape, layerName);
        var blocks = layer.OutputLayout.LocalBlocks(layerName, Split.Column, rank, tp);
        int localOut = blocks.Sum(b => b.Length);
        string baseName = prefix + layerName;
        bool bySegment = layer.OutputLayout.Segments.Count > 1 && !source.Contains(baseName + ".weight") &&
                         layer.OutputLayout.Segments.All(s => source.Contains($"{baseName}.{s.Name}.weight"));
        var weight = ReadColumnBlocks(source, baseName, "weight", layer.InFeatures, layer.OutputLayout, blocks, localOut, bySegment);
        var bias = layer.HasBias ? ReadColumnBlocks(source, baseName, "bias", 1, layer.OutputLayout, blocks, localOut, bySegment) : null;
        return new LinearShard(layerName, Split.Column, rank, tp, layer.InFeatures, layer.OutFeatures, layer.InFeatures, localOut, weight, bias);
    }

    /// <summary>The row shard of layer <paramref name="layerName"/> read from a checkpoint (tensors <c>prefix + layerName + ".weight"/".bias"</c>).</summary>
    public static LinearShard Row(ICheckpointShardSource source, string prefix, Linear? shape, string layerName, int rank, int tp)
    {
        ArgumentNullException.ThrowIfNull(source);
        var layer = Layer(shape, layerName);
        var blocks = RowBlocks(layer, layerName, rank, tp);
        int localIn = blocks.Sum(b => b.Length);
        int n = layer.OutFeatures;
        var weight = new float[(long)localIn * n];
        int row = 0;
        foreach (var block in blocks)
        {
            source.ReadBlock(prefix + layerName + ".weight", layer.InFeatures, n, block.Start, block.Length, 0, n, weight.AsSpan(row * n, block.Length * n));
            row += block.Length;
        }
        float[]? bias = null;
        if (layer.HasBias)
        {
            bias = new float[n];
            source.ReadBlock(prefix + layerName + ".bias", 1, n, 0, 1, 0, n, bias);
        }
        return new LinearShard(layerName, Split.Row, rank, tp, layer.InFeatures, n, localIn, n, weight, bias);
    }

    /// <summary>
    /// Rank <paramref name="rank"/> of <paramref name="tp"/>'s vocabulary shard of an LM head <c>[hidden -> vocabulary]</c>:
    /// the columns of its ids (<see cref="VocabularySplit"/>), padding ids as zero columns.
    /// </summary>
    public static LinearShard Vocab(Linear? dense, string layerName, int rank, int tp)
    {
        var layer = Layer(dense, layerName);
        var split = VocabularySplit.Of(layer.OutFeatures, tp, rank);
        int n = layer.OutFeatures, k = layer.InFeatures;
        var weight = new float[(long)k * split.Local];
        for (int row = 0; row < k; row++)
            layer.Weight.AsSpan(row * n + split.Start, split.LocalReal).CopyTo(weight.AsSpan(row * split.Local));
        float[]? bias = null;
        if (layer.Bias is { } full)
        {
            bias = new float[split.Local];
            full.AsSpan(split.Start, split.LocalReal).CopyTo(bias);
        }
        return new LinearShard(layerName, Split.Vocab, rank, tp, k, n, k, split.Local, weight, bias);
    }

    /// <summary>The vocabulary shard of LM head <paramref name="layerName"/> read from a checkpoint: only its ids' columns.</summary>
    public static LinearShard Vocab(ICheckpointShardSource source, string prefix, Linear? shape, string layerName, int rank, int tp)
    {
        ArgumentNullException.ThrowIfNull(source);
        var layer = Layer(shape, layerName);
        var split = VocabularySplit.Of(layer.OutFeatures, tp, rank);
        int n = layer.OutFeatures, k = layer.InFeatures;
        var weight = new float[(long)k * split.Local];
        float[]? bias = layer.HasBias ? new float[split.Local] : null;
        if (split.LocalReal > 0)
        {
            var real = new float[(long)k * split.LocalReal];
            source.ReadBlock(prefix + layerName + ".weight", k, n, 0, k, split.Start, split.LocalReal, real);
            for (int row = 0; row < k; row++)
                real.AsSpan(row * split.LocalReal, split.LocalReal).CopyTo(weight.AsSpan(row * split.Local));
            if (bias is not null)
                source.ReadBlock(prefix + layerName + ".bias", 1, n, 0, 1, split.Start, split.LocalReal, bias.AsSpan(0, split.LocalReal));
        }
        return new LinearShard(layerName, Split.Vocab, rank, tp, k, n, k, split.Local, weight, bias);
    }

    // A replicated input slice would be summed twice by the reduce, so a row split never replicates a unit.
    private static IReadOnlyList<FeatureBlock> RowBlocks(Linear layer, string layerName, int rank, int tp) =>
        layer.InputLayout.LocalBlocks(layerName, Split.Row, rank, tp, allowReplication: false);

    private static float[] Gather(float[] full, IReadOnlyList<FeatureBlock> blocks, int localOut)
    {
        var local = new float[localOut];
        int column = 0;
        foreach (var block in blocks)
        {
            full.AsSpan(block.Start, block.Length).CopyTo(local.AsSpan(column));
            column += block.Length;
        }
        return local;
    }

    // Reads this rank's columns of a [rows, out] tensor (rows = in for a weight, 1 for a bias), block by block, into a
    // [rows, localOut] array; a single block lands in place, several go through one scratch block each.
    private static float[] ReadColumnBlocks(ICheckpointShardSource source, string baseName, string kind, int rows,
        FeatureLayout layout, IReadOnlyList<FeatureBlock> blocks, int localOut, bool bySegment)
    {
        var local = new float[(long)rows * localOut];
        int column = 0;
        foreach (var block in blocks)
        {
            var (name, columns, start) = bySegment
                ? ($"{baseName}.{block.Segment.Name}.{kind}", block.Segment.Features, block.StartInSegment)
                : ($"{baseName}.{kind}", layout.Features, block.Start);
            if (blocks.Count == 1)
            {
                source.ReadBlock(name, rows, columns, 0, rows, start, block.Length, local);
                return local;
            }
            var scratch = new float[(long)rows * block.Length];
            source.ReadBlock(name, rows, columns, 0, rows, start, block.Length, scratch);
            for (int row = 0; row < rows; row++)
                scratch.AsSpan(row * block.Length, block.Length).CopyTo(local.AsSpan(row * localOut + column, block.Length));
            column += block.Length;
        }
        return local;
    }

    /// <summary>Checks that this shard was cut for layer <paramref name="layerName"/>'s <paramref name="split"/> on this rank of <paramref name="group"/>; generated constructors call it.</summary>
    public void Require(string layerName, Split split, Collectives.ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (LayerName != layerName || Split != split || Degree != group.Size || Rank != group.Rank)
            throw new ArgumentException(
                $"{split} layer '{layerName}' on {group} was handed the {Split} shard of '{LayerName}' cut for rank {Rank} of {Degree}.");
    }

    /// <summary>The layer a module member holds; a clear error, not a NullReferenceException, when it is null.</summary>
    public static Linear Layer(Linear? layer, string layerName) =>
        layer ?? throw new InvalidOperationException($"Layer '{layerName}' is null: build the module's layers before sharding it.");

    /// <summary>
    /// Makes each layer's Forward run its shard, all or none: every (layer, shard) pair is checked first (the layer
    /// exists, the shard was cut from a layer of its shape, as <see cref="Linear.UseShard"/> checks), and only then are
    /// they attached, so a mismatch on one layer leaves every layer of the module as it was. Generated ShardFrom calls it
    /// once every shard is cut.
    /// </summary>
    /// <exception cref="InvalidOperationException">A layer that has a shard is null.</exception>
    /// <exception cref="ArgumentException">A shard's shape differs from its layer's; the message names the layer.</exception>
    public static void AttachAll(params (Linear? Layer, ShardedLinear? Shard)[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (layer, shard) in layers)
        {
            // An optional layer the module does not hold (a nullable member that is null) has no shard: nothing to attach.
            if (layer is null && shard is null) continue;
            ArgumentNullException.ThrowIfNull(shard, nameof(layers));
            var target = Layer(layer, shard.LayerName);
            if (shard.InFeatures != target.InFeatures || shard.OutFeatures != target.OutFeatures)
                throw new ArgumentException(
                    $"Layer '{shard.LayerName}' is [{target.InFeatures} -> {target.OutFeatures}] but its shard was cut from a " +
                    $"[{shard.InFeatures} -> {shard.OutFeatures}] layer; no layer of the module was sharded.", nameof(layers));
        }
        foreach (var (layer, shard) in layers)
        {
            if (shard is not null) layer!.UseShard(shard);
        }
    }

    public override string ToString() =>
        $"{Split} shard of '{LayerName}', rank {Rank} of {Degree}: [{LocalInFeatures} -> {LocalOutFeatures}]{(Bias is null ? "" : " + bias")}";
}
