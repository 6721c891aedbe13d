using System.Text.Json;
using TpCodegen.Checkpoints;
using TpCodegen.Collectives;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>
/// One of tests/Fixtures/hf-tiny's checkpoints with PyTorch's answers for it: the input ids, the logits and the greedy
/// continuation its io.safetensors holds (see that folder's README).
/// </summary>
internal sealed record HfFixture(string Directory, int[][] Prompts, float[] Logits, int Vocabulary, int[] Greedy)
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf-tiny", name);

    public static HfFixture Load(string name)
    {
        string directory = PathOf(name);
        string io = Path.Combine(directory, "io.safetensors");
        var (idShape, ids) = ReadInt64(io, "input_ids");
        var (logitShape, logitBytes) = Read(io, "logits");
        var (_, greedy) = ReadInt64(io, "greedy");
        int sequences = (int)idShape[0], length = (int)idShape[1];
        var prompts = Enumerable.Range(0, sequences).Select(s => ids.Skip(s * length).Take(length).Select(v => (int)v).ToArray()).ToArray();
        var logits = new float[logitBytes.Length / 4];
        Buffer.BlockCopy(logitBytes, 0, logits, 0, logitBytes.Length);
        return new HfFixture(directory, prompts, logits, (int)logitShape[2], greedy.Select(v => (int)v).ToArray());
    }

    public string ConfigPath => Path.Combine(Directory, "config.json");

    public string ModelPath => Path.Combine(Directory, "model.safetensors");

    /// <summary>The 12 tokens PyTorch's greedy decoding appended to the first prompt.</summary>
    public int[] GreedyContinuation => Greedy[Prompts[0].Length..];

    /// <summary>Builds the fixture's model (Llama or GPT-2, as config.json says) and loads this rank's shard of it.</summary>
    public ICausalLanguageModel LoadModel(ProcessGroup group, bool fused = false)
    {
        using var checkpoint = SafetensorsCheckpoint.Open(ModelPath);
        if (Directory.Contains("gpt2", StringComparison.Ordinal))
        {
            var gpt2 = new Gpt2Model(Gpt2Config.Read(ConfigPath));
            gpt2.Load(checkpoint, group);
            return gpt2;
        }
        var llama = new LlamaModel(LlamaConfig.Read(ConfigPath), fused);
        llama.Load(checkpoint, group);
        return llama;
    }

    private static (long[] Shape, long[] Values) ReadInt64(string path, string name)
    {
        var (shape, bytes) = Read(path, name);
        var values = new long[bytes.Length / 8];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return (shape, values);
    }

    // The test's own reader of a whole tensor, independent of the runtime's block reader.
    private static (long[] Shape, byte[] Bytes) Read(string path, string name)
    {
        var file = File.ReadAllBytes(path);
        int headerLength = (int)BitConverter.ToInt64(file, 0);
        using var header = JsonDocument.Parse(file.AsMemory(8, headerLength));
        var entry = header.RootElement.GetProperty(name);
        var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        return (shape, file.AsSpan(8 + headerLength + (int)offsets[0], (int)(offsets[1] - offsets[0])).ToArray());
    }
}
