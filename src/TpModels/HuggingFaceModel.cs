using TpCodegen.Checkpoints;
using TpCodegen.Collectives;

namespace TpCodegen.Models;

/// <summary>
/// Opens a Hugging Face model directory as users download it and loads this rank's shard of the model it holds, choosing
/// the architecture from <c>config.json</c>: <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>, <c>Qwen2ForCausalLM</c>
/// or <c>GPT2LMHeadModel</c>.
/// </summary>
public static class HuggingFaceModel
{
    /// <summary>The architectures <see cref="Load"/> reads.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } =
        ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "GPT2LMHeadModel"];

    /// <summary>The model's config, read alone (no weights): what a plan needs.</summary>
    public static object ReadConfig(string directory)
    {
        var json = HfConfig.Read(Path.Combine(directory, "config.json"));
        return Architecture(json) == "GPT2LMHeadModel" ? Gpt2Config.From(json) : LlamaConfig.From(json);
    }

    /// <summary>Builds the model <paramref name="directory"/> holds and loads rank <c>group.Rank</c>'s shard of it.</summary>
    /// <param name="fuseProjections">Llama family: load q/k/v and gate/up into one fused GEMM per rank each.</param>
    /// <param name="progress">Reports bytes read as this rank loads its blocks (a multi-GB checkpoint takes a while).</param>
    public static ICausalLanguageModel Load(string directory, ProcessGroup group, bool fuseProjections = false, IProgress<CheckpointProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(group);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model directory '{directory}' does not exist.");
        var json = HfConfig.Read(Path.Combine(directory, "config.json"));
        // A single model.safetensors or shards with an index; each rank reads only its blocks, converting BF16/F16 to F32.
        using var checkpoint = HuggingFaceCheckpoint.Open(directory, progress);
        if (Architecture(json) == "GPT2LMHeadModel")
        {
            var gpt2 = new Gpt2Model(Gpt2Config.From(json));
            gpt2.Load(checkpoint, group);
            return gpt2;
        }
        var llama = new LlamaModel(LlamaConfig.From(json), fuseProjections);
        llama.Load(checkpoint, group);
        return llama;
    }

    private static string Architecture(HfConfig json)
    {
        string architecture = json.Architecture;
        if (!SupportedArchitectures.Contains(architecture))
            throw new NotSupportedException($"Model config '{json.Path}' names architecture '{architecture}'; supported: {string.Join(", ", SupportedArchitectures)}.");
        return architecture;
    }
}
