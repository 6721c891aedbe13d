namespace TpCodegen.Training;

/// <summary>How a parameter is held across the tensor-parallel group.</summary>
public enum ParameterPlacement
{
    /// <summary>Each rank holds its own slice (a split linear layer's block, a vocabulary shard): counted once per rank.</summary>
    Sharded,

    /// <summary>Every rank holds the same whole value (a norm's weight, a row layer's bias): counted once in all.</summary>
    Replicated,
}

/// <summary>
/// One trainable tensor as this rank holds it: its values, its gradient (accumulated by <see cref="Tape.Backward"/>),
/// and whether it is a shard or a replica across the tensor-parallel group, which gradient clipping and checkpoints need.
/// </summary>
public sealed class Parameter
{
    private readonly Action<Parameter>? _commit;

    /// <param name="name">For messages and checkpoints, e.g. <c>layers.0.attention.Q.weight</c>.</param>
    /// <param name="value">The values, shared: when the layer reads this very array, updates need no commit.</param>
    /// <param name="commit">Copies <see cref="Value"/> into the layer after an update, when the layer keeps another form (a packed weight).</param>
    public Parameter(string name, float[] value, ParameterPlacement placement, Action<Parameter>? commit = null)
        : this(name, value, placement, replicaGroup: null, commit)
    {
    }

    /// <param name="replicaGroup">
    /// For a shard held whole by several ranks of the tensor-parallel group (key/value heads when tp exceeds them): those
    /// ranks. Each computes part of the block's gradient, and the parts are summed over this group.
    /// </param>
    internal Parameter(string name, float[] value, ParameterPlacement placement, Collectives.ProcessGroup? replicaGroup, Action<Parameter>? commit)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        Name = name;
        Value = value;
        Grad = new float[value.Length];
        Placement = placement;
        ReplicaGroup = replicaGroup;
        _commit = commit;
    }

    /// <summary>The ranks that hold this same block (see the constructor), or null when this rank's block is its own.</summary>
    internal Collectives.ProcessGroup? ReplicaGroup { get; }

    /// <summary>How many ranks of the tensor-parallel group hold this same block: 1 for an ordinary shard.</summary>
    public int Replicas => ReplicaGroup?.Size ?? 1;

    /// <summary>Adds a gradient computed on this rank; a block held by several ranks first sums their parts (one all-reduce over them).</summary>
    internal void AccumulateFromRank(float[] gradient)
    {
        ReplicaGroup?.AllReduce(gradient);
        Accumulate(gradient);
    }

    public string Name { get; }

    /// <summary>This rank's values.</summary>
    public float[] Value { get; }

    /// <summary><c>dL/dValue</c>, same shape; summed over every backward since the last <see cref="ZeroGrad"/>.</summary>
    public float[] Grad { get; }

    public ParameterPlacement Placement { get; }

    /// <summary>Adds <paramref name="gradient"/> to <see cref="Grad"/>.</summary>
    public void Accumulate(ReadOnlySpan<float> gradient)
    {
        if (gradient.Length != Grad.Length)
            throw new ArgumentException($"Parameter '{Name}': a gradient of {gradient.Length} floats for {Grad.Length} values.", nameof(gradient));
        System.Numerics.Tensors.TensorPrimitives.Add(Grad, gradient, Grad);
    }

    public void ZeroGrad() => Array.Clear(Grad);

    /// <summary>Makes the layer use <see cref="Value"/> after it changed (an optimizer step, a checkpoint load).</summary>
    public void Commit() => _commit?.Invoke(this);

    public override string ToString() => $"{Name} [{Value.Length}] {Placement}";
}
