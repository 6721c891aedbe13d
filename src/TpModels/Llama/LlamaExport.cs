using System.Text.Json;
using TpCodegen.Checkpoints;

namespace TpCodegen.Models;

/// <summary>Saves a dense <see cref="LlamaModel"/> as a Hugging Face model directory that <see cref="LlamaModel.Load"/> (and transformers) read back.</summary>
public static class LlamaExport
{
    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> (F32, Hugging Face names, linear weights <c>[out, in]</c>) into
    /// <paramref name="directory"/>, creating it.
    /// </summary>
    public static void Save(LlamaModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(directory);
        if (model.Group.Size != 1 || model.Embed.Shard is not null)
            throw new InvalidOperationException("Save writes a dense model; this one is a rank's shard. Save the dense model it was cut from, or gather it with ToDense().");
        if (model.Fused)
            throw new NotSupportedException("Save writes q/k/v and gate/up as separate tensors; build the dense model unfused (fuseProjections: false).");
        if (model.SequenceParallel)
            throw new NotSupportedException("Save writes the plain modules; gather a sequence-parallel model with ToDense(sequenceParallel: false) first.");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson(model.Config));
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), Tensors(model));
    }

    private static IEnumerable<SafetensorsWriter.NamedTensor> Tensors(LlamaModel model)
    {
        var c = model.Config;
        yield return new("model.embed_tokens.weight", [c.Vocabulary, c.Hidden], model.Embed.Weight);
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            var attention = (LlamaAttention)layer.Attention;
            var mlp = (LlamaMlp)layer.Mlp;
            string prefix = LlamaNames.Layer(i);
            yield return new(prefix + "input_layernorm.weight", [c.Hidden], layer.InputNorm.Weight);
            foreach (var tensor in Linear(prefix + "self_attn.q_proj", attention.Q)) yield return tensor;
            foreach (var tensor in Linear(prefix + "self_attn.k_proj", attention.K)) yield return tensor;
            foreach (var tensor in Linear(prefix + "self_attn.v_proj", attention.V)) yield return tensor;
            foreach (var tensor in Linear(prefix + "self_attn.o_proj", attention.O)) yield return tensor;
            yield return new(prefix + "post_attention_layernorm.weight", [c.Hidden], layer.PostAttentionNorm.Weight);
            foreach (var tensor in Linear(prefix + "mlp.gate_proj", mlp.Gate)) yield return tensor;
            foreach (var tensor in Linear(prefix + "mlp.up_proj", mlp.Up)) yield return tensor;
            foreach (var tensor in Linear(prefix + "mlp.down_proj", mlp.Down)) yield return tensor;
        }
        yield return new("model.norm.weight", [c.Hidden], model.Norm.Weight);
        if (model.Head is { } head)
            foreach (var tensor in Linear("lm_head", head)) yield return tensor;
    }

    // nn.Linear stores [out, in]: the transpose of this runtime's [in, out].
    private static IEnumerable<SafetensorsWriter.NamedTensor> Linear(string name, Linear layer)
    {
        var transposed = new float[(long)layer.InFeatures * layer.OutFeatures];
        Kernels.Gemm.Transpose(layer.Weight, layer.InFeatures, layer.OutFeatures, transposed);
        yield return new(name + ".weight", [layer.OutFeatures, layer.InFeatures], transposed);
        if (layer.Bias is { } bias) yield return new(name + ".bias", [layer.OutFeatures], bias);
    }

    private static string ConfigJson(LlamaConfig c)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            json.WriteStringValue(c.Architecture);
            json.WriteEndArray();
            json.WriteString("model_type", c.Architecture.StartsWith("Qwen2", StringComparison.Ordinal) ? "qwen2" : c.Architecture.StartsWith("Mistral", StringComparison.Ordinal) ? "mistral" : "llama");
            json.WriteNumber("vocab_size", c.Vocabulary);
            json.WriteNumber("hidden_size", c.Hidden);
            json.WriteNumber("intermediate_size", c.Intermediate);
            json.WriteNumber("num_hidden_layers", c.Layers);
            json.WriteNumber("num_attention_heads", c.Heads);
            json.WriteNumber("num_key_value_heads", c.KvHeads);
            json.WriteNumber("head_dim", c.HeadDim);
            json.WriteNumber("rms_norm_eps", c.RmsNormEps);
            json.WriteNumber("rope_theta", c.RopeTheta);
            json.WriteNumber("max_position_embeddings", c.MaxPositions);
            json.WriteBoolean("tie_word_embeddings", c.TieEmbeddings);
            json.WriteBoolean("attention_bias", c.QkvBias && c.OutputBias);
            json.WriteBoolean("mlp_bias", c.MlpBias);
            if (c.BosToken is int bos) json.WriteNumber("bos_token_id", bos);
            if (c.EosTokens.Length == 1) json.WriteNumber("eos_token_id", c.EosTokens[0]);
            else
            {
                json.WriteStartArray("eos_token_id");
                foreach (int eos in c.EosTokens) json.WriteNumberValue(eos);
                json.WriteEndArray();
            }
            json.WriteString("hidden_act", "silu");
            json.WriteString("torch_dtype", "float32");
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
