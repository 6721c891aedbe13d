using TpCodegen.Checkpoints;
using TpCodegen.Collectives;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>
/// One of tests/Fixtures/hf-tiny's checkpoints with PyTorch's answers for it: the input ids, the logits and the greedy
/// continuation its io.safetensors holds (see that folder's README).
/// </summary>
internal sealed record HfFixture(string Directory, int[][] Prompts, float[] Logits, int Vocabulary, int[] Greedy)
{
    public static HfFixture Load(string name)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf-tiny", name);
        using var io = SafetensorsCheckpoint.Open(Path.Combine(directory, "io.safetensors"));
        var idShape = io.Describe("input_ids").Shape;
        var ids = io.ReadInt64("input_ids");
        int sequences = (int)idShape[0], length = (int)idShape[1];
        var prompts = Enumerable.Range(0, sequences).Select(s => ids.Skip(s * length).Take(length).Select(v => (int)v).ToArray()).ToArray();
        int vocabulary = (int)io.Describe("logits").Shape[2];
        return new HfFixture(directory, prompts, io.ReadFloats("logits"), vocabulary, io.ReadInt64("greedy").Select(v => (int)v).ToArray());
    }

    public string ConfigPath => Path.Combine(Directory, "config.json");

    public string ModelPath => Path.Combine(Directory, "model.safetensors");

    /// <summary>The 12 tokens PyTorch's greedy decoding appended to the first prompt.</summary>
    public int[] GreedyContinuation => Greedy[Prompts[0].Length..];

    /// <summary>Builds the fixture's model (Llama or GPT-2, as config.json says) and loads this rank's shard of it.</summary>
    public ICausalLanguageModel LoadModel(ProcessGroup group, bool fused = false)
    {
        return HuggingFaceModel.Load(Directory, group, fused);
    }
}
