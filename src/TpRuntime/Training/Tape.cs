namespace TpCodegen.Training;

/// <summary>
/// A record of the ops one rank ran since <see cref="Start"/>, so that <see cref="Backward"/> can run their gradients in
/// reverse: the author writes only the forward. Per thread, like the in-process ranks: each rank records its own ops.
/// </summary>
/// <remarks>
/// Why a runtime tape and not a backward emitted at compile time: a module's Forward is ordinary C# (loops over layers,
/// optional layers, fused splits), and a tape sees exactly the ops that ran, on every path, with no second copy of the
/// model's control flow to keep in step. The collectives of the backward still come from the split contract: each op's
/// gradient is the layer's own Backward (Column: all-reduce of dX; Row: none), never a choice made here.
/// The forward must run outside a <see cref="StepBuffers"/> scope or inside one that stays open until the backward has
/// run, because the tape keeps the forward's inputs.
/// </remarks>
public sealed class Tape : IDisposable
{
    [ThreadStatic]
    private static Tape? t_active;

    private readonly Tape? _previous;
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<DTensor, float[]> _gradients = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<DTensor> _watched = new(ReferenceEqualityComparer.Instance);
    // Values all-gathered from token shards (sequence parallelism) with the shard each came from, and those of them whose
    // gradient so far is a partial sum over the group (column layers leave dX unreduced there: the gather's conjugate, a
    // reduce-scatter, sums it). A gathered value released after its block is gathered again for the backward, once.
    private readonly Dictionary<DTensor, DTensor> _tokenGathered = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<DTensor> _partial = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<DTensor, DTensor> _regathered = new(ReferenceEqualityComparer.Instance);
    // The step-pool buffers the tape itself holds (gradients not yet consumed, second gathers): everything else an op's
    // backward rents is scratch, handed back to the step pool when the op is done.
    private readonly HashSet<float[]> _held = new(ReferenceEqualityComparer.Instance);
    // How many recorded outputs sit on each array, so a spent output's buffer is handed back only when no other has it.
    private readonly Dictionary<float[], int> _outputStorage = new(ReferenceEqualityComparer.Instance);
    private bool _recording = true;

    private Tape() => _previous = t_active;

    /// <summary>The tape recording on this thread, or null when no op is being recorded.</summary>
    public static Tape? Active => t_active is { _recording: true } tape ? tape : null;

    /// <summary>Starts recording this thread's ops; disposing stops it (and restores any outer tape).</summary>
    public static Tape Start()
    {
        var tape = new Tape();
        t_active = tape;
        return tape;
    }

    /// <summary>Ops recorded so far.</summary>
    public int Count => _nodes.Count;

    /// <summary>
    /// Tokens the recorded losses averaged over (targets not ignored), or null when no loss counted any: a data-parallel
    /// step weights each replica by it, so replicas with unequal counts average to the mean over the whole batch.
    /// </summary>
    internal long? LossTokens { get; private set; }

    /// <summary>Called by a loss that is a mean over <paramref name="tokens"/> counted tokens.</summary>
    internal void CountLossTokens(int tokens) => LossTokens = (LossTokens ?? 0) + tokens;

    /// <summary>Asks for the gradient of a value no recorded op made (an input); returns it for chaining.</summary>
    public DTensor Watch(DTensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        _watched.Add(x);
        return x;
    }

    /// <summary>The gradient of <paramref name="x"/> after <see cref="Backward"/>, with its gradient placement; null when nothing reached it.</summary>
    public DTensor? Gradient(DTensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return _gradients.TryGetValue(x, out var g) ? GradientTensor(x, g) : null;
    }

    /// <summary>
    /// Runs the recorded ops' gradients in reverse from <paramref name="output"/>, seeded with <paramref name="seed"/>
    /// (default: ones, the gradient of a scalar loss with respect to itself). Parameter gradients accumulate into
    /// <see cref="Parameter.Grad"/>. Stops recording: a tape runs backward once.
    /// </summary>
    public void Backward(DTensor output, DTensor? seed = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        _recording = false;
        var start = StepBuffers.Rent(output.LocalSpan.Length);
        if (seed is null) start.AsSpan().Fill(1f);
        else
        {
            if (seed.LocalSpan.Length != start.Length)
                throw new ArgumentException($"Backward: the seed {seed} does not match the output {output}.", nameof(seed));
            seed.LocalSpan.CopyTo(start);
        }
        _gradients[output] = start;
        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            var node = _nodes[i];
            if (!_gradients.Remove(node.Output, out var g)) continue;
            int mark = StepBuffers.RentedCount;
            node.Backward(GradientTensor(node.Output, g));
            // Inside a step scope, the op's scratch and the gradient it consumed go back to the pool for the next op: what
            // it passed on was added into its inputs' own gradient buffers. So a step's pool is the activations plus a few
            // gradients in flight, not a second copy of every activation.
            StepBuffers.ReturnSince(mark, _held);
            _held.Remove(g);
            StepBuffers.Return(g);
            ReleaseSpent(node.Output);
        }
        _nodes.Clear();
        _outputStorage.Clear();
    }

    /// <summary>Stops recording on this thread.</summary>
    public void Dispose()
    {
        _recording = false;
        if (ReferenceEquals(t_active, this)) t_active = _previous;
    }

    /// <summary>Records one op: <paramref name="backward"/> receives <c>dL/d output</c> and accumulates its inputs' gradients.</summary>
    internal void Record(DTensor output, Action<DTensor> backward)
    {
        _nodes.Add(new Node(output, backward));
        var storage = output.Storage;
        _outputStorage[storage] = _outputStorage.GetValueOrDefault(storage) + 1;
    }

    // An op's output is spent once its own backward has run: every op that read it was recorded after it, so their
    // backwards ran first. Inside a step scope its buffer goes back to the pool then (PyTorch frees saved tensors the
    // same way), so the backward's peak is the activations it has not reached yet plus the gradients in flight, not all
    // the activations plus all their gradients. Kept: values asked for (Watch), and an array two recorded values share.
    private void ReleaseSpent(DTensor output)
    {
        if (_watched.Contains(output) || output.IsReleased) return;
        if (_outputStorage.GetValueOrDefault(output.Storage) != 1) return;
        output.ReleaseIfPooled();
    }

    /// <summary>Adds <paramref name="gradient"/> (laid out as <paramref name="x"/>'s local block) to x's gradient.</summary>
    internal void Accumulate(DTensor x, ReadOnlySpan<float> gradient)
    {
        if (_partial.Contains(x))
            throw new InvalidOperationException($"{x} gathers token shards and its gradient is a partial sum; only column layers may read it.");
        Add(x, gradient);
    }

    /// <summary>Marks <paramref name="gathered"/> as all-gathered from <paramref name="shard"/>: column layers may leave its gradient partial.</summary>
    internal void MarkTokenGathered(DTensor gathered, DTensor shard) => _tokenGathered[gathered] = shard;

    /// <summary>True when <paramref name="x"/> was all-gathered from token shards and no full gradient reached it yet.</summary>
    internal bool AcceptsPartialGradient(DTensor x) => _tokenGathered.ContainsKey(x) && (_partial.Contains(x) || !_gradients.ContainsKey(x));

    /// <summary>
    /// <paramref name="x"/>'s numbers for a backward that reads them: x itself, or, when x was gathered from token shards
    /// and released after its block (<see cref="DTensor.GatherTokens"/>), the same tokens gathered again (a collective,
    /// reached in the same order on every rank: the backward runs the same nodes everywhere), kept until x's own gather
    /// has run its backward.
    /// </summary>
    internal DTensor Readable(DTensor x)
    {
        if (!x.IsReleased) return x;
        if (_regathered.TryGetValue(x, out var again)) return again;
        if (!_tokenGathered.TryGetValue(x, out var shard))
            throw new InvalidOperationException($"{x} was released and is not a gather of token shards this tape recorded.");
        again = shard.Redistribute(Placement.Replicate);
        _regathered[x] = again;
        _held.Add(again.LocalArray);
        return again;
    }

    /// <summary>Called when <paramref name="gathered"/>'s gather ran its backward: its second gather goes back to the pool.</summary>
    internal void ForgetGathered(DTensor gathered)
    {
        if (!_regathered.Remove(gathered, out var again)) return;
        _held.Remove(again.LocalArray);
        again.Release();
    }

    /// <summary>True when the gradient accumulated for <paramref name="x"/> is a partial sum over its group.</summary>
    internal bool HasPartialGradient(DTensor x) => _partial.Contains(x);

    /// <summary>Adds an addend of x's gradient (see <see cref="AcceptsPartialGradient"/>).</summary>
    internal void AccumulatePartial(DTensor x, ReadOnlySpan<float> gradient)
    {
        if (!AcceptsPartialGradient(x))
            throw new InvalidOperationException($"A partial gradient for {x}, which does not gather token shards or already has a full gradient.");
        _partial.Add(x);
        Add(x, gradient);
    }

    private void Add(DTensor x, ReadOnlySpan<float> gradient)
    {
        // From the shape, not the buffer: a released gathered value keeps its shape only.
        long local = (long)x.Tokens * x.LocalFeatures;
        if (gradient.Length != local)
            throw new ArgumentException($"A gradient of {gradient.Length} floats for {x} ({local} local).", nameof(gradient));
        if (!_gradients.TryGetValue(x, out var sum))
        {
            // From the step pool when the tape runs inside a step scope (Trainer.Step): a training step's gradients of
            // activations are as large as the activations, and fresh arrays for them every step cost page faults and GCs.
            var copy = StepBuffers.Rent(gradient.Length, zeroed: false);
            gradient.CopyTo(copy);
            _gradients[x] = copy;
            _held.Add(copy);
            return;
        }
        System.Numerics.Tensors.TensorPrimitives.Add(sum, gradient, sum);
    }

    // The gradient of a value has the value's local shape; a partial sum's gradient is the full gradient of the value it
    // reduces to (Replicate), as the split contract says.
    private static DTensor GradientTensor(DTensor x, float[] g) =>
        DTensor.FromArray(g, x.Tokens, x.LocalFeatures, GradientPlacement(x.Placement), x.Group);

    /// <summary>The placement of a gradient of a value placed <paramref name="placement"/>.</summary>
    internal static Placement GradientPlacement(Placement placement) =>
        placement is PartialPlacement ? Placement.Replicate : placement;

    private readonly record struct Node(DTensor Output, Action<DTensor> Backward);
}
