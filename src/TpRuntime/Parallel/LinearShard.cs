namespace TpCodegen.Parallel;

/// <summary>
/// One rank's contiguous slice of a linear layer's weight and bias, cut once when the module is sharded so that the
/// forward's GEMM reads a dense row-major block: <c>[in, out / tp]</c> for a column shard, <c>[in / tp, out]</c> for a
/// row shard. Generated shard constructors take it.
/// </summary>
public sealed class LinearShard
{
    private LinearShard(string layerName, Split split, int rank, int tp, int localIn, int localOut, float[] weight, float[]? bias)
    {
        InFeatures = split == Split.Row ? localIn * tp : localIn;
        OutFeatures = split == Split.Column ? localOut * tp : localOut;
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

    /// <summary>Rank <paramref name="rank"/> of <paramref name="tp"/>'s column shard of a dense layer: <c>W[:, r*out/tp : (r+1)*out/tp]</c>.</summary>
    public static LinearShard Column(Linear? dense, string layerName, int rank, int tp)
    {
        var layer = Layer(dense, layerName);
        int localOut = TensorParallelChecks.LocalSize(layerName, Split.Column, layer.OutFeatures, tp);
        CheckRank(layerName, rank, tp);
        int n = layer.OutFeatures;
        var source = layer.Weight;
        var weight = new float[layer.InFeatures * localOut];
        for (int row = 0; row < layer.InFeatures; row++)
            source.AsSpan(row * n + rank * localOut, localOut).CopyTo(weight.AsSpan(row * localOut, localOut));
        var bias = layer.Bias?.AsSpan(rank * localOut, localOut).ToArray();
        return new LinearShard(layerName, Split.Column, rank, tp, layer.InFeatures, localOut, weight, bias);
    }

    /// <summary>Rank <paramref name="rank"/> of <paramref name="tp"/>'s row shard of a dense layer: <c>W[r*in/tp : (r+1)*in/tp, :]</c> and the whole bias.</summary>
    public static LinearShard Row(Linear? dense, string layerName, int rank, int tp)
    {
        var layer = Layer(dense, layerName);
        int localIn = TensorParallelChecks.LocalSize(layerName, Split.Row, layer.InFeatures, tp);
        CheckRank(layerName, rank, tp);
        int n = layer.OutFeatures;
        // A block of whole rows is contiguous in a row-major [in, out] weight: one copy.
        var weight = layer.Weight.AsSpan(rank * localIn * n, localIn * n).ToArray();
        var bias = layer.Bias?.ToArray();
        return new LinearShard(layerName, Split.Row, rank, tp, localIn, n, weight, bias);
    }

    /// <summary>The column shard of layer <paramref name="layerName"/> read from a checkpoint (tensors <c>prefix + layerName + ".weight"/".bias"</c>).</summary>
    public static LinearShard Column(ICheckpointShardSource source, string prefix, Linear? shape, string layerName, int rank, int tp)
    {
        ArgumentNullException.ThrowIfNull(source);
        var layer = Layer(shape, layerName);
        int localOut = TensorParallelChecks.LocalSize(layerName, Split.Column, layer.OutFeatures, tp);
        CheckRank(layerName, rank, tp);
        var weight = new float[layer.InFeatures * localOut];
        source.ReadBlock(prefix + layerName + ".weight", layer.InFeatures, layer.OutFeatures, 0, layer.InFeatures, rank * localOut, localOut, weight);
        float[]? bias = null;
        if (layer.HasBias)
        {
            bias = new float[localOut];
            source.ReadBlock(prefix + layerName + ".bias", 1, layer.OutFeatures, 0, 1, rank * localOut, localOut, bias);
        }
        return new LinearShard(layerName, Split.Column, rank, tp, layer.InFeatures, localOut, weight, bias);
    }

    /// <summary>The row shard of layer <paramref name="layerName"/> read from a checkpoint (tensors <c>prefix + layerName + ".weight"/".bias"</c>).</summary>
    public static LinearShard Row(ICheckpointShardSource source, string prefix, Linear? shape, string layerName, int rank, int tp)
    {
        ArgumentNullException.ThrowIfNull(source);
        var layer = Layer(shape, layerName);
        int localIn = TensorParallelChecks.LocalSize(layerName, Split.Row, layer.InFeatures, tp);
        CheckRank(layerName, rank, tp);
        int n = layer.OutFeatures;
        var weight = new float[localIn * n];
        source.ReadBlock(prefix + layerName + ".weight", layer.InFeatures, n, rank * localIn, localIn, 0, n, weight);
        float[]? bias = null;
        if (layer.HasBias)
        {
            bias = new float[n];
            source.ReadBlock(prefix + layerName + ".bias", 1, n, 0, 1, 0, n, bias);
        }
        return new LinearShard(layerName, Split.Row, rank, tp, localIn, n, weight, bias);
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
    /// <exception cref="InvalidOperationException">A layer is null.</exception>
    /// <exception cref="ArgumentException">A shard's shape differs from its layer's; the message names the layer.</exception>
    public static void AttachAll(params (Linear? Layer, ShardedLinear Shard)[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (layer, shard) in layers)
        {
            ArgumentNullException.ThrowIfNull(shard, nameof(layers));
            var target = Layer(layer, shard.LayerName);
            if (shard.InFeatures != target.InFeatures || shard.OutFeatures != target.OutFeatures)
                throw new ArgumentException(
                    $"Layer '{shard.LayerName}' is [{target.InFeatures} -> {target.OutFeatures}] but its shard was cut from a " +
                    $"[{shard.InFeatures} -> {shard.OutFeatures}] layer; no layer of the module was sharded.", nameof(layers));
        }
        foreach (var (layer, shard) in layers) layer!.UseShard(shard);
    }

    private static void CheckRank(string layerName, int rank, int tp)
    {
        if ((uint)rank >= (uint)tp)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"Layer '{layerName}': rank must be in [0, {tp}).");
    }

    public override string ToString() =>
        $"{Split} shard of '{LayerName}', rank {Rank} of {Degree}: [{LocalInFeatures} -> {LocalOutFeatures}]{(Bias is null ? "" : " + bias")}";
}
