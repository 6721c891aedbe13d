using System.Runtime.CompilerServices;

namespace TpCodegen.Training;

/// <summary>
/// The trainable parameters of each layer, created on first use and kept with the layer (a weak table, so layers need
/// no training fields): the tape accumulates into them and optimizers update them. A sharded layer's parameters are
/// its rank's blocks; when a new shard is attached, the old shard's parameters are dropped with it.
/// </summary>
public static class LayerParameters
{
    private static readonly ConditionalWeakTable<object, Parameter[]> s_parameters = new();

    /// <summary>
    /// Weight (and bias, when the layer has one) of <paramref name="layer"/>, as this rank holds them. The first call for a
    /// layer whose key/value heads are replicated across ranks is collective over its group (it splits off the replicas'
    /// sub-group): every rank must ask for its parameters, in the same order, as <c>model.Parameters()</c> does.
    /// </summary>
    public static IReadOnlyList<Parameter> Of(Linear layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.Shard is { } shard
            ? s_parameters.GetValue(shard, _ => ShardParameters(layer, shard))
            : s_parameters.GetValue(layer, _ => DenseParameters(layer));
    }

    /// <summary>The embedding table: the dense <c>[vocabulary, features]</c>, or this rank's <c>[local, features]</c> rows.</summary>
    public static Parameter Of(Embedding embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        return embedding.Shard is { } shard
            ? s_parameters.GetValue(shard, _ => [new Parameter(shard.LayerName + ".weight", shard.CopyRows(), ParameterPlacement.Sharded, p => shard.UpdateRows(p.Value))])[0]
            : s_parameters.GetValue(embedding, _ => [new Parameter("weight", embedding.Weight, ParameterPlacement.Replicated)])[0];
    }

    /// <summary>The norm's weight, replicated on every rank.</summary>
    public static Parameter Of(RmsNorm norm)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return s_parameters.GetValue(norm, _ => [new Parameter("weight", norm.Weight, ParameterPlacement.Replicated)])[0];
    }

    /// <summary>The norm's weight and bias, replicated on every rank.</summary>
    public static IReadOnlyList<Parameter> Of(LayerNorm norm)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return s_parameters.GetValue(norm, _ =>
            [new Parameter("weight", norm.Weight, ParameterPlacement.Replicated), new Parameter("bias", norm.Bias, ParameterPlacement.Replicated)]);
    }

    private static Parameter[] DenseParameters(Linear layer) => layer.HasBias
        ? [new Parameter("weight", layer.Weight, ParameterPlacement.Replicated), new Parameter("bias", layer.Bias!, ParameterPlacement.Replicated)]
        : [new Parameter("weight", layer.Weight, ParameterPlacement.Replicated)];

    private static Parameter[] ShardParameters(Linear layer, ShardedLinear shard)
    {
        var replicas = ReplicaGroup(layer, shard);
        var weight = new Parameter(shard.LayerName + ".weight", shard.CopyWeight(), ParameterPlacement.Sharded, replicas, p => shard.UpdateWeight(p.Value));
        if (shard.BiasForTraining is not { } bias) return [weight];
        // A row layer's bias is whole on every rank (added once after the reduce); a column or vocabulary layer's is its slice.
        var placement = shard.Split == Split.Row ? ParameterPlacement.Replicated : ParameterPlacement.Sharded;
        return [weight, new Parameter(shard.LayerName + ".bias", bias, placement, placement == ParameterPlacement.Sharded ? replicas : null, null)];
    }

    // Key/value heads replicated on several ranks (tp above the head count): each replica's gradient holds only its own
    // query heads' part, so the replicas of a head form a group (collectively, in the order every rank creates its
    // parameters) over which the parts are summed. A fused layer whose segments replicate differently is refused.
    private static Collectives.ProcessGroup? ReplicaGroup(Linear layer, ShardedLinear shard)
    {
        if (shard.Split != Split.Column || shard.Group.Size == 1) return null;
        var (_, localOut) = shard.LocalWeightShape;
        if ((long)localOut * shard.Group.Size == shard.OutFeatures) return null;
        var segments = layer.OutputLayout.Segments;
        if (segments.Count != 1)
            throw new NotSupportedException(
                $"Training {shard}: this rank holds {localOut} of {shard.OutFeatures} output features at tp={shard.Group.Size}, so some of the fused " +
                $"segments ({layer.OutputLayout}) are replicated across ranks; train the unfused projections, or at a degree that divides the key/value heads.");
        int replicas = shard.Group.Size / segments[0].Units;
        return shard.Group.Split(color: shard.Group.Rank / replicas, key: shard.Group.Rank);
    }
}
