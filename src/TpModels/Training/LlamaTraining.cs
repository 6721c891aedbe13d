using TpCodegen.Parallel;
using TpCodegen.Training;

namespace TpCodegen.Models;

/// <summary>
/// Training a <see cref="LlamaModel"/>, dense or one rank's shard: its parameters in a fixed order with the names its
/// members have (<c>model.layers.0.self_attn.Q.weight</c>), the loss of a batch, and the plan of one step's collectives.
/// </summary>
public static class LlamaTraining
{
    /// <summary>
    /// Every trainable parameter of this rank's model: embedding, per layer the norms and linear layers, final norm, head.
    /// Collective the first time when key/value heads are replicated across ranks (see <see cref="LayerParameters.Of(Linear)"/>).
    /// </summary>
    public static ParameterSet Parameters(this LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var set = new ParameterSet();
        set.Add(LlamaNames.Embedding, LayerParameters.Of(model.Embed));
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            set.Add(LlamaNames.Layer(i) + "input_layernorm.weight", LayerParameters.Of(layer.InputNorm));
            foreach (var (name, linear) in Linears(layer.Attention)) set.Add(LlamaNames.Attention(i) + name + ".", LayerParameters.Of(linear));
            set.Add(LlamaNames.Layer(i) + "post_attention_layernorm.weight", LayerParameters.Of(layer.PostAttentionNorm));
            foreach (var (name, linear) in Linears(layer.Mlp)) set.Add(LlamaNames.Mlp(i) + name + ".", LayerParameters.Of(linear));
        }
        set.Add(LlamaNames.FinalNorm + "weight", LayerParameters.Of(model.Norm));
        if (model.Head is { } head) set.Add("lm_head.", LayerParameters.Of(head));
        return set;
    }

    /// <summary>
    /// The mean next-token loss of <paramref name="ids"/> against <paramref name="targets"/> (one per token;
    /// <paramref name="ignoreIndex"/> skips one) over whole sequences (<paramref name="batch"/>): the forward without a
    /// cache, then the vocabulary-parallel cross-entropy. Recorded when a <see cref="Tape"/> is.
    /// </summary>
    public static DTensor Loss(this LlamaModel model, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, SequenceBatch batch,
        float labelSmoothing = 0f, int ignoreIndex = VocabParallelCrossEntropy.DefaultIgnoreIndex)
    {
        ArgumentNullException.ThrowIfNull(model);
        var logits = model.Forward(ids, batch, cache: null);
        return VocabParallelCrossEntropy.Loss(logits, targets, model.Vocabulary, labelSmoothing, ignoreIndex);
    }

    /// <summary>
    /// The collectives one <see cref="Trainer.Step"/> of this model makes over <paramref name="tokens"/> tokens per replica
    /// at degree <paramref name="tp"/>, from the generated plans of its modules.
    /// </summary>
    public static TrainingPlan TrainingPlan(this LlamaModel model, int tp, int tokens, bool clipping, int dataParallel,
        int bucketFloats = DataParallelGradients.DefaultBucketFloats)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Forward order: embedding (the EmbeddingAndHead plan lists the embedding, then the head), layers, head.
        var vocabulary = model.EmbeddingAndHead.GetPlan(tp, tokens);
        var plans = new List<TensorParallelPlan> { vocabulary with { Layers = vocabulary.Layers.Take(1).ToArray() } };
        foreach (var layer in model.Layers)
        {
            plans.Add(layer.Attention.GetPlan(tp, tokens));
            plans.Add(layer.Mlp.GetPlan(tp, tokens));
        }
        plans.Add(vocabulary with { Layers = vocabulary.Layers.Skip(1).ToArray() });
        int buckets = DataParallelGradients.Buckets(model.Parameters(), dataParallel, bucketFloats);
        var plan = Training.TrainingPlan.Of(plans, tokens, tp, clipping, dataParallel, buckets, sequenceParallelColumns: model.SequenceParallel);
        var extra = new List<PlannedCollective>();
        // A head tied to the embedding is the embedding's plan entry, which plans its lookup only; its logits' backward
        // all-reduces dX like any head split by vocabulary.
        if (model.Head is null) extra.Add(Training.TrainingPlan.TiedHeadBackward(tokens, model.Config.Hidden, tp));
        if (model.SequenceParallel) extra.AddRange(Training.TrainingPlan.SequenceParallelMoves(model.Layers.Count, model.Config.Hidden, tp, tokens));
        return plan with { TensorParallel = [.. plan.TensorParallel, .. extra] };
    }

    /// <summary>The linear layers of an attention or MLP module, by member name.</summary>
    internal static IEnumerable<(string Name, Linear Layer)> Linears(ITensorParallelModule module) => module switch
    {
        LlamaAttention a => [("Q", a.Q), ("K", a.K), ("V", a.V), ("O", a.O)],
        SequenceParallelLlamaAttention a => [("Q", a.Q), ("K", a.K), ("V", a.V), ("O", a.O)],
        FusedLlamaAttention a => [("Qkv", a.Qkv), ("O", a.O)],
        LlamaMlp m => [("Gate", m.Gate), ("Up", m.Up), ("Down", m.Down)],
        SequenceParallelLlamaMlp m => [("Gate", m.Gate), ("Up", m.Up), ("Down", m.Down)],
        FusedLlamaMlp m => [("GateUp", m.GateUp), ("Down", m.Down)],
        _ => throw new ArgumentException($"No training parameters known for a {module.GetType().Name}."),
    };
}
