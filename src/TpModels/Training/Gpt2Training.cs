using TpCodegen.Training;

namespace TpCodegen.Models;

/// <summary>
/// Training a <see cref="Gpt2Model"/>, dense or one rank's shard: its parameters in a fixed order with Hugging Face's
/// names (the tied head has none of its own: it is the token embedding), and the loss of a batch.
/// </summary>
public static class Gpt2Training
{
    /// <summary>Token and position embeddings, per layer the norms and linear layers, the final norm.</summary>
    public static ParameterSet Parameters(this Gpt2Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var set = new ParameterSet()
            .Add("transformer.wte.weight", LayerParameters.Of(model.Tokens))
            .Add("transformer.wpe.weight", LayerParameters.Of(model.Positions));
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            string prefix = $"transformer.h.{i}.";
            set.Add(prefix + "ln_1.", LayerParameters.Of(layer.Ln1))
               .Add(prefix + "attn.c_attn.", LayerParameters.Of(layer.Attention.Qkv))
               .Add(prefix + "attn.c_proj.", LayerParameters.Of(layer.Attention.Out))
               .Add(prefix + "ln_2.", LayerParameters.Of(layer.Ln2))
               .Add(prefix + "mlp.c_fc.", LayerParameters.Of(layer.Mlp.Fc))
               .Add(prefix + "mlp.c_proj.", LayerParameters.Of(layer.Mlp.Proj));
        }
        return set.Add("transformer.ln_f.", LayerParameters.Of(model.FinalNorm));
    }

    /// <summary>The mean next-token loss of <paramref name="ids"/> against <paramref name="targets"/> over whole sequences, recorded when a <see cref="Tape"/> is.</summary>
    public static DTensor Loss(this Gpt2Model model, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, SequenceBatch batch,
        float labelSmoothing = 0f, int ignoreIndex = VocabParallelCrossEntropy.DefaultIgnoreIndex)
    {
        ArgumentNullException.ThrowIfNull(model);
        return VocabParallelCrossEntropy.Loss(model.Forward(ids, batch, cache: null), targets, model.Vocabulary, labelSmoothing, ignoreIndex);
    }
}
