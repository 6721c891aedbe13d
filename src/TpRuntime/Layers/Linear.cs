using System.Numerics.Tensors;
using TpCodegen.Kernels;

namespace TpCodegen;

/// <summary>
/// A dense linear layer <c>y = x @ W + b</c> with <c>W: [in, out]</c> row-major and <c>b: [out]</c>: the reference
/// every sharded layer is checked against, and the layer an author marks with <see cref="TensorParallelAttribute"/>.
/// </summary>
/// <remarks>
/// Weights are created on first use, so a module built only to be sharded never holds its dense weights.
/// Initialisation is seeded (uniform in ±1/sqrt(in), as PyTorch's nn.Linear), so every process that builds the
/// same module in the same order gets the same weights. Once the generated code attaches a shard
/// (<see cref="UseShard"/>), <see cref="Forward(DTensor)"/> runs the shard instead.
/// </remarks>
public sealed class Linear : IDisposable
{
    // Per thread, so that in-process ranks (threads) that build the same modules in the same order draw the same
    // seeds, as MPI ranks (processes) do; a process-wide counter would interleave the ranks' draws.
    [ThreadStatic]
    private static int t_nextSeed;

    private readonly int _seed;
    private readonly object _initialization = new();
    private float[]? _weight;
    private float[]? _bias;
    private FeatureLayout? _outputLayout;
    private FeatureLayout? _inputLayout;
    private OutputSegments? _outputSegments; // this rank's blocks of each output segment, cut once: SplitOutput runs per step

    private sealed record OutputSegments(int Rank, int Tp, IReadOnlyList<FeatureBlock> Blocks)
    {
        public int Width { get; } = Blocks.Sum(b => b.Length);
    }

    /// <summary>A dense layer of <paramref name="inFeatures"/> → <paramref name="outFeatures"/>.</summary>
    /// <param name="seed">
    /// Seed of the initial weights; by default, one more than the previous layer's created on this thread, so every
    /// rank that builds the same modules in the same order gets the same weights.
    /// </param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, int? seed = null)
    {
        if (inFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "A linear layer needs at least one input feature.");
        if (outFeatures < 1) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "A linear layer needs at least one output feature.");
        if ((long)inFeatures * outFeatures > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(outFeatures),
                $"A [{inFeatures} -> {outFeatures}] weight has {(long)inFeatures * outFeatures} elements, more than one array holds ({Array.MaxLength}).");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        HasBias = bias;
        _seed = seed ?? ++t_nextSeed;
    }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    public bool HasBias { get; }

    /// <summary>
    /// How the output features are made: plain (the default), whole attention heads, or fused segments (q|k|v, gate|up).
    /// A column split follows it: it cuts each segment separately and never inside a head.
    /// </summary>
    public FeatureLayout OutputLayout
    {
        get => _outputLayout ??= FeatureLayout.Plain(OutFeatures);
        init => _outputLayout = RequireLayout(value, OutFeatures, "output");
    }

    /// <summary>How the input features are made (e.g. the heads an output projection reads); a row split follows it.</summary>
    public FeatureLayout InputLayout
    {
        get => _inputLayout ??= FeatureLayout.Plain(InFeatures);
        init => _inputLayout = RequireLayout(value, InFeatures, "input");
    }

    /// <summary>The dense weight <c>[InFeatures, OutFeatures]</c>, row-major.</summary>
    public float[] Weight => DenseWeights(nameof(Weight)).Weight;

    /// <summary>The dense bias <c>[OutFeatures]</c>, or null when the layer has none.</summary>
    public float[]? Bias => DenseWeights(nameof(Bias)).Bias;

    /// <summary>The shard this instance runs, once the generated code has attached one.</summary>
    public ShardedLinear? Shard { get; private set; }

    /// <summary>Replaces the weights (and bias) with copies of the given arrays.</summary>
    public void SetWeights(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias = default)
    {
        if (Shard is not null)
            throw new InvalidOperationException($"SetWeights of a sharded layer: this instance runs {Shard}; set the dense module's weights and shard it again.");
        if (weight.Length != (long)InFeatures * OutFeatures)
            throw new ArgumentException($"Linear [{InFeatures} -> {OutFeatures}]: weight holds {weight.Length} floats, expected in * out = {(long)InFeatures * OutFeatures}.", nameof(weight));
        if (HasBias ? bias.Length != OutFeatures : !bias.IsEmpty)
            throw new ArgumentException($"Linear [{InFeatures} -> {OutFeatures}]: bias holds {bias.Length} floats, expected {(HasBias ? OutFeatures : 0)}.", nameof(bias));
        lock (_initialization)
        {
            _bias = HasBias ? bias.ToArray() : null;
            Volatile.Write(ref _weight, weight.ToArray());
        }
    }

    /// <summary>Makes <see cref="Forward(DTensor)"/> run <paramref name="shard"/>; called by generated code.</summary>
    public void UseShard(ShardedLinear shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.InFeatures != InFeatures || shard.OutFeatures != OutFeatures)
            throw new ArgumentException(
                $"Shard of layer '{shard.LayerName}' is [{shard.InFeatures} -> {shard.OutFeatures}] but this layer is [{InFeatures} -> {OutFeatures}].", nameof(shard));
        Shard = shard;
    }

    /// <summary>
    /// The layer's forward. Dense: takes and returns a replicated value. With a shard attached: whatever the shard's
    /// split takes and returns (a column shard returns Shard(-1), a row shard all-reduces to Replicate).
    /// </summary>
    public DTensor Forward(DTensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Shard is not null ? Shard.Forward(x) : DenseForward(x);
        Training.LinearOnTape.Record(this, x, y);
        return y;
    }

    private DTensor DenseForward(DTensor x)
    {
        if (x.Placement is not ReplicatePlacement)
            throw new PlacementException($"Dense Linear [{InFeatures} -> {OutFeatures}] needs a Replicate input, got {x.Placement}.");
        var y = StepBuffers.Rent((long)x.Tokens * OutFeatures, zeroed: false);
        Multiply(x.LocalSpan, x.Tokens, x.LocalFeatures, y);
        return DTensor.OverStepBuffer(y, x.Tokens, OutFeatures, Placement.Replicate, x.Group);
    }

    /// <summary>
    /// Cuts an output of this layer into its <see cref="OutputLayout"/> segments (q, k, v of a fused projection; gate and up),
    /// each with the output's placement: on a sharded layer, this rank's part of each segment. Inside a
    /// <see cref="StepBuffers"/> scope the array and the values come from the step's pool, like every op's output.
    /// </summary>
    public DTensor[] SplitOutput(DTensor y)
    {
        ArgumentNullException.ThrowIfNull(y);
        int rank = Shard?.Group.Rank ?? 0, tp = Shard?.Group.Size ?? 1;
        var split = _outputSegments is { } cached && cached.Rank == rank && cached.Tp == tp
            ? cached
            : _outputSegments = new OutputSegments(rank, tp, OutputLayout.LocalBlocks(Shard?.LayerName ?? "Linear", Split.Column, rank, tp));
        var blocks = split.Blocks;
        int width = split.Width;
        if (y.LocalFeatures != width)
            throw new ArgumentException($"{this}: its output holds {width} features per rank, segments {OutputLayout}; got {y}.", nameof(y));
        var parts = StepBuffers.RentValues(blocks.Count);
        var source = y.LocalSpan;
        int column = 0;
        for (int s = 0; s < blocks.Count; s++)
        {
            int length = blocks[s].Length;
            var part = StepBuffers.Rent((long)y.Tokens * length, zeroed: false);
            for (int t = 0; t < y.Tokens; t++) source.Slice(t * width + column, length).CopyTo(part.AsSpan(t * length, length));
            parts[s] = DTensor.OverStepBuffer(part, y.Tokens, length, y.Placement, y.Group);
            column += length;
        }
        Training.LinearOnTape.RecordSplit(y, parts);
        return parts;
    }

    /// <summary>
    /// The layer's backward, stateless: given the forward's <paramref name="input"/> and <c>dL/dy</c>, returns
    /// <c>dL/dx = dY @ W^T</c>, <c>dL/dW = X^T @ dY</c> and <c>dL/db</c> (the column sums of dY). Dense: both take and the
    /// input gradient is Replicate. With a shard attached: runs <see cref="ShardedLinear.Backward"/>, which takes the
    /// placements the shard's forward took and returned and returns the rank's weight and bias gradients.
    /// </summary>
    public LinearGradients Backward(DTensor input, DTensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (Shard is not null) return Shard.Backward(input, gradOutput);
        if (input.Placement is not ReplicatePlacement || gradOutput.Placement is not ReplicatePlacement)
            throw new PlacementException(
                $"Dense Linear [{InFeatures} -> {OutFeatures}] backward needs a Replicate input and gradient, got {input.Placement} and {gradOutput.Placement}.");
        if (input.LocalFeatures != InFeatures)
            throw new ArgumentException($"Linear [{InFeatures} -> {OutFeatures}] backward got an input with {input.LocalFeatures} features.", nameof(input));
        if (gradOutput.LocalFeatures != OutFeatures)
            throw new ArgumentException($"Linear [{InFeatures} -> {OutFeatures}] backward got an output gradient with {gradOutput.LocalFeatures} features.", nameof(gradOutput));
        if (gradOutput.Tokens != input.Tokens)
            throw new ArgumentException($"Linear [{InFeatures} -> {OutFeatures}] backward: the input has {input.Tokens} tokens but the output gradient {gradOutput.Tokens}.", nameof(gradOutput));
        var weight = DenseWeights(nameof(Backward)).Weight;
        int tokens = input.Tokens;
        var dx = new float[tokens * InFeatures];
        Parallel.Generated.ShardKernels.InputGradient(gradOutput.LocalSpan, weight, dx, tokens, InFeatures, OutFeatures);
        var dw = new float[InFeatures * OutFeatures];
        Parallel.Generated.ShardKernels.WeightGradient(input.LocalSpan, gradOutput.LocalSpan, dw, tokens, InFeatures, OutFeatures);
        var db = HasBias ? Parallel.Generated.ShardKernels.BiasGradient(gradOutput.LocalSpan, tokens, OutFeatures) : null;
        return new LinearGradients(DTensor.FromArray(dx, tokens, InFeatures, Placement.Replicate, input.Group), dw, db);
    }

    /// <summary>Dense forward of a plain tensor <c>[..., InFeatures]</c>; returns <c>[tokens, OutFeatures]</c>.</summary>
    public Tensor<float> Forward(Tensor<float> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var input = new float[x.FlattenedLength];
        x.FlattenTo(input);
        int features = x.Rank == 0 ? 1 : (int)x.Lengths[^1];
        int tokens = features == 0 ? 0 : input.Length / features;
        var y = new float[tokens * OutFeatures];
        Multiply(input, tokens, features, y);
        return Tensor.Create(y, [tokens, OutFeatures]);
    }

    private void Multiply(ReadOnlySpan<float> x, int tokens, int features, Span<float> y)
    {
        if (features != InFeatures)
            throw new ArgumentException($"Linear [{InFeatures} -> {OutFeatures}] got an input with {features} features.", nameof(x));
        var (weight, bias) = DenseWeights("Forward(Tensor<float>)");
        Gemm.Multiply(x, weight, y, tokens, InFeatures, OutFeatures, bias);
    }

    // Once a shard is attached this instance stands for one rank's slice: its dense weights would be made up (seeded),
    // not the ones the shard was cut from, so asking for them is an error rather than a silent wrong answer.
    private (float[] Weight, float[]? Bias) DenseWeights(string member) => Shard is null
        ? EnsureWeights()
        : throw new InvalidOperationException(
            $"{member} of a sharded layer: this instance holds only {Shard}; read the dense module it was cut from, or Shard.SkippedBias for a skipped bias.");

    // The ranks of an in-process world cut their shards from one dense module at the same time: the first to ask
    // creates the weights, under a lock, and publishes the bias before the weight that signals it.
    private (float[] Weight, float[]? Bias) EnsureWeights()
    {
        if (Volatile.Read(ref _weight) is null)
        {
            lock (_initialization)
            {
                if (_weight is null)
                {
                    var random = new Random(_seed);
                    float bound = 1f / MathF.Sqrt(InFeatures);
                    var weight = new float[InFeatures * OutFeatures];
                    for (int i = 0; i < weight.Length; i++) weight[i] = (float)(random.NextDouble() * 2 - 1) * bound;
                    float[]? bias = null;
                    if (HasBias)
                    {
                        bias = new float[OutFeatures];
                        for (int i = 0; i < bias.Length; i++) bias[i] = (float)(random.NextDouble() * 2 - 1) * bound;
                    }
                    _bias = bias;
                    Volatile.Write(ref _weight, weight);
                }
            }
        }
        return (_weight!, _bias);
    }

    private FeatureLayout RequireLayout(FeatureLayout layout, int features, string side)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Features != features)
            throw new ArgumentException($"Linear [{InFeatures} -> {OutFeatures}]: the {side} layout {layout} has {layout.Features} features, not {features}.", nameof(layout));
        return layout;
    }

    /// <summary>Releases what the attached shard holds (its packed weight, native memory); the dense weights are managed arrays.</summary>
    public void Dispose() => Shard?.Dispose();

    public override string ToString() => $"Linear [{InFeatures} -> {OutFeatures}]{(HasBias ? " + bias" : "")}{(Shard is null ? "" : $", sharded: {Shard}")}";
}
