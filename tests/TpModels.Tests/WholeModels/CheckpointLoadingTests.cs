using System.Text.Json.Nodes;
using TpCodegen.Checkpoints;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>
/// Hugging Face directories as users have them: sharded with an index, read by blocks (each rank reads exactly its
/// shard's bytes), and wrong ones refused with errors that name the file, the tensor and what was expected.
/// </summary>
public sealed class CheckpointLoadingTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("tp-hf-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf-tiny", name);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Each_rank_reads_exactly_its_shard_bytes(int tp)
    {
        var config = LlamaConfig.Read(Path.Combine(Fixture("llama-tiny/f32"), "config.json"));
        var read = new long[tp];
        InProcessWorld.Run(tp, group =>
        {
            using var checkpoint = HuggingFaceCheckpoint.Open(Fixture("llama-tiny/f32"));
            new LlamaModel(config).Load(checkpoint, group);
            read[group.Rank] = checkpoint.BytesRead;
        });
        Assert.All(read, bytes => Assert.Equal(ShardBytes(config, tp), bytes));
    }

    // What one rank of tp holds, counted from the config alone: vocabulary rows, its heads, its MLP slices, the norms whole.
    private static long ShardBytes(LlamaConfig c, int tp)
    {
        long kvHeads = Math.Max(1, c.KvHeads / tp);
        long perLayer = (long)c.Hidden * c.Heads / tp * c.HeadDim * 2   // q, o
            + 2L * c.Hidden * kvHeads * c.HeadDim                          // k, v
            + 3L * c.Hidden * c.Intermediate / tp                          // gate, up, down
            + 2L * c.Hidden;                                               // the two norms
        return (2L * c.Vocabulary / tp * c.Hidden + c.Layers * perLayer + c.Hidden) * sizeof(float);
    }

    [Fact]
    public void A_sharded_directory_with_an_index_loads_to_the_same_logits()
    {
        string sharded = Path.Combine(_scratch, "sharded");
        using (var single = SafetensorsCheckpoint.Open(Path.Combine(Fixture("llama-tiny/f32"), "model.safetensors")))
        {
            var tensors = single.TensorNames.Select(name =>
                SafetensorsWriter.Tensor.F32(name, single.Describe(name).Shape, single.ReadFloats(name))).ToList();
            var shards = SafetensorsWriter.WriteSharded(sharded, tensors, maxShardBytes: 100_000);
            Assert.True(shards.Count > 2);
        }
        File.Copy(Path.Combine(Fixture("llama-tiny/f32"), "config.json"), Path.Combine(sharded, "config.json"));
        var fixture = HfFixture.Load("llama-tiny/f32");
        var logits = new float[2][];
        InProcessWorld.Run(2, group =>
        {
            var model = HuggingFaceModel.Load(sharded, group);
            logits[group.Rank] = model.Forward(fixture.Prompts[0], SequenceBatch.Prefill(fixture.Prompts[0].Length), null).FullTensor().ToArray();
        });
        for (int i = 0; i < logits[0].Length; i++) Assert.True(Math.Abs(logits[0][i] - fixture.Logits[i]) < 1e-4, $"logit {i}");
    }

    [Fact]
    public void A_missing_tensor_names_the_tensor_and_the_directory()
    {
        string directory = CopyFixture("llama-tiny/f32", dropTensor: "model.layers.1.mlp.down_proj.weight");
        var error = Load(directory, tp: 2);
        Assert.IsType<KeyNotFoundException>(error);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", error.Message);
        Assert.Contains(directory, error.Message);
    }

    [Fact]
    public void A_wrong_shape_names_the_tensor_and_both_shapes()
    {
        string directory = CopyFixture("llama-tiny/f32", configEdit: c => c["intermediate_size"] = 160);
        var error = Load(directory, tp: 2);
        Assert.IsType<InvalidDataException>(error);
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", error.Message);
        Assert.Contains("[176, 64]", error.Message);
        Assert.Contains("[160, 64]", error.Message);
    }

    [Fact]
    public void An_unsupported_architecture_lists_the_supported_ones()
    {
        string directory = CopyFixture("llama-tiny/f32", configEdit: c => c["architectures"] = new JsonArray("BertModel"));
        var error = Load(directory, tp: 1);
        Assert.IsType<NotSupportedException>(error);
        Assert.Contains("'BertModel'", error.Message);
        Assert.Contains("LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel", error.Message);
    }

    [Fact]
    public void A_degree_that_would_cut_a_head_names_the_layer_and_the_valid_degrees()
    {
        var error = Load(Fixture("llama-tiny/f32"), tp: 3);
        Assert.IsType<Parallel.TensorParallelDegreeException>(error);
        // The attention module's own output projection is checked before the q/k/v projections it inherits.
        Assert.StartsWith("Row layer 'O': 4 o heads of 16 cannot be split over tp=3", error.Message);
    }

    private static Exception Load(string directory, int tp)
    {
        var failure = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(tp, group => HuggingFaceModel.Load(directory, group)));
        return failure.InnerException!;
    }

    private string CopyFixture(string name, string? dropTensor = null, Action<JsonObject>? configEdit = null)
    {
        string directory = Path.Combine(_scratch, name.Replace('/', '-'));
        Directory.CreateDirectory(directory);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixture(name), "config.json")))!.AsObject();
        configEdit?.Invoke(config);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        using var single = SafetensorsCheckpoint.Open(Path.Combine(Fixture(name), "model.safetensors"));
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), single.TensorNames.Where(n => n != dropTensor)
            .Select(n => SafetensorsWriter.Tensor.F32(n, single.Describe(n).Shape, single.ReadFloats(n))).ToList());
        return directory;
    }
}
