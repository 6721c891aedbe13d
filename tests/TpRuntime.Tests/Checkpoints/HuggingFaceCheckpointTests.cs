using System.Collections.Concurrent;
using System.Text.Json;
using TpCodegen.Checkpoints;
using Tensor = TpCodegen.Checkpoints.SafetensorsWriter.Tensor;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>Model directories as Hugging Face lays them out: a sharded set with its index, read block-wise, and every mistake in one named.</summary>
public sealed class HuggingFaceCheckpointTests : CheckpointFiles
{
    private const string Gate = "model.layers.0.mlp.gate_proj.weight";
    private const string Down = "model.layers.0.mlp.down_proj.weight";
    private const string Norm = "model.norm.weight";
    private const string Ids = "position_ids";

    // Values i/64 - 1 for i < 128 are exact in BF16, so a BF16 shard reads back exactly.
    private static float[] Values(int count) => [.. Enumerable.Range(0, count).Select(i => (i % 128) / 64f - 1)];

    /// <summary>gate F32 [6, 5] (120 B), down BF16 [5, 6] (60 B), norm F32 [5] (20 B), ids I64 [1, 4] (32 B), at most 100 bytes a shard: three shards.</summary>
    private string Sharded()
    {
        string directory = Path.Combine(Root, "sharded");
        SafetensorsWriter.WriteSharded(directory,
        [
            Tensor.F32(Gate, [6, 5], Values(30)),
            Tensor.BF16(Down, [5, 6], Values(30)),
            Tensor.F32(Norm, [5], Values(5)),
            Tensor.I64(Ids, [1, 4], [0, 1, 2, 3]),
        ], maxShardBytes: 100, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(directory, "config.json"), """{"architectures": ["LlamaForCausalLM"], "hidden_size": 5}""");
        return directory;
    }

    [Fact]
    public void The_writer_lays_out_shards_and_an_index_as_Hugging_Face_does()
    {
        string directory = Sharded();
        Assert.Equal(
            ["config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", "model.safetensors.index.json"],
            Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "model.safetensors.index.json")));
        Assert.Equal(120 + 60 + 20 + 32, index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
        var map = index.RootElement.GetProperty("weight_map");
        Assert.Equal("model-00001-of-00003.safetensors", map.GetProperty(Gate).GetString());
        Assert.Equal("model-00002-of-00003.safetensors", map.GetProperty(Down).GetString());
        Assert.Equal("model-00002-of-00003.safetensors", map.GetProperty(Norm).GetString());
        Assert.Equal("model-00003-of-00003.safetensors", map.GetProperty(Ids).GetString());
    }

    [Fact]
    public void A_sharded_directory_reads_block_wise_counting_only_the_blocks_bytes()
    {
        string directory = Sharded();
        var reports = new SynchronousProgress();
        using var checkpoint = HuggingFaceCheckpoint.Open(directory, reports);
        Assert.Equal([Down, Gate, Norm, Ids], checkpoint.TensorNames);
        Assert.Equal(232, checkpoint.TotalBytes);
        var all = Values(30);

        // A column shard of [out, in] gate_proj: rows 2..4, contiguous.
        var rows = new float[3 * 5];
        checkpoint.ReadBlock(Gate, 6, 5, 2, 3, 0, 5, rows);
        Assert.Equal(all[10..25], rows);
        Assert.Equal(15 * 4, checkpoint.BytesRead);

        // A row shard of BF16 down_proj: columns 3..5 of every row, converted.
        var columns = new float[5 * 3];
        checkpoint.ReadBlock(Down, 5, 6, 0, 5, 3, 3, columns);
        Assert.Equal(Enumerable.Range(0, 5).SelectMany(r => all[(r * 6 + 3)..(r * 6 + 6)]), columns);
        Assert.Equal(15 * 4 + 15 * 2, checkpoint.BytesRead);

        Assert.Equal([0L, 1, 2, 3], checkpoint.ReadInt64(Ids));
        Assert.Equal(Values(5), checkpoint.ReadFloats(Norm));
        Assert.Equal(15 * 4 + 15 * 2 + 32 + 20, checkpoint.BytesRead);

        // One report per read, never per row, each with the running count, the whole and the tensor.
        Assert.Equal(
            [(60L, 232L, Gate), (90L, 232L, Down), (122L, 232L, Ids), (142L, 232L, Norm)],
            reports.Reports.Select(r => (r.BytesRead, r.TotalBytes, r.CurrentTensor)));

        var info = checkpoint.Describe(Down);
        Assert.Equal(("BF16", Path.Combine(directory, "model-00002-of-00003.safetensors"), 60L), (info.DType, info.File, info.ByteLength));
        Assert.Equal([5L, 6], info.Shape);
        using var config = checkpoint.ReadConfig();
        Assert.Equal("LlamaForCausalLM", config.RootElement.GetProperty("architectures")[0].GetString());
    }

    [Fact]
    public void Ranks_reading_at_once_are_all_counted()
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(Sharded());
        const int ranks = 4;
        var results = new ConcurrentDictionary<int, float[]>();
        System.Threading.Tasks.Parallel.For(0, ranks * 25, new ParallelOptions { MaxDegreeOfParallelism = ranks }, i =>
        {
            var block = new float[6];
            checkpoint.ReadBlock(Gate, 6, 5, 0, 6, i % 5, 1, block);
            results[i] = block;
        });
        Assert.Equal(ranks * 25 * 6 * 4, checkpoint.BytesRead);
        var all = Values(30);
        foreach (var (i, block) in results)
            Assert.Equal(Enumerable.Range(0, 6).Select(r => all[r * 5 + i % 5]), block);
    }

    [Fact]
    public void A_single_file_directory_opens_and_its_total_is_the_data_size()
    {
        string directory = Path.Combine(Root, "single");
        Directory.CreateDirectory(directory);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), [Tensor.F32("wte.weight", [4, 2], Values(8)), Tensor.F16("wpe.weight", [2, 2], Values(4))]);
        using var checkpoint = HuggingFaceCheckpoint.Open(directory);
        Assert.Equal(32 + 8, checkpoint.TotalBytes);
        Assert.True(checkpoint.Contains("wpe.weight"));
        Assert.False(checkpoint.Contains("transformer.wpe.weight"));
        Assert.Equal(Values(4), checkpoint.ReadFloats("wpe.weight"));
        Assert.Equal(8, checkpoint.BytesRead);
    }

    [Fact]
    public void A_missing_tensor_names_the_directory_and_the_closest_tensors()
    {
        string directory = Sharded();
        using var checkpoint = HuggingFaceCheckpoint.Open(directory);
        var error = Assert.Throws<KeyNotFoundException>(() => checkpoint.ReadBlock("model.layers.0.mlp.gate.weight", 6, 5, 0, 6, 0, 5, new float[30]));
        Assert.Contains($"Checkpoint directory '{directory}' has no tensor 'model.layers.0.mlp.gate.weight'; the closest of its 4: {Gate}, {Down},", error.Message);
    }

    [Fact]
    public void A_wrong_shape_names_the_shard_the_tensor_and_both_shapes()
    {
        string directory = Sharded();
        using var checkpoint = HuggingFaceCheckpoint.Open(directory);
        var error = Assert.Throws<InvalidDataException>(() => checkpoint.ReadBlock(Gate, 5, 6, 0, 5, 0, 6, new float[30]));
        Assert.Contains($"Tensor '{Gate}' in checkpoint '{Path.Combine(directory, "model-00001-of-00003.safetensors")}' is [6, 5], but the layer expects [5, 6].", error.Message);
    }

    [Fact]
    public void An_unsupported_dtype_names_it_and_the_supported_ones()
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(Sharded());
        var error = Assert.Throws<NotSupportedException>(() => checkpoint.ReadBlock(Ids, 1, 4, 0, 1, 0, 4, new float[4]));
        Assert.Contains($"Tensor '{Ids}' in checkpoint", error.Message);
        Assert.Contains("is I64; weights read as F32 from F32, BF16, F16.", error.Message);
    }

    [Fact]
    public void An_index_naming_a_missing_file_is_refused_at_open()
    {
        string directory = Sharded();
        File.Delete(Path.Combine(directory, "model-00002-of-00003.safetensors"));
        var error = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.Open(directory));
        Assert.Contains($"Index '{Path.Combine(directory, "model.safetensors.index.json")}' maps 2 tensors (e.g. '{Down}') to 'model-00002-of-00003.safetensors', which is not in '{directory}'.", error.Message);
    }

    [Fact]
    public void A_weight_map_entry_whose_file_lacks_the_tensor_is_named()
    {
        string directory = Sharded();
        string index = Path.Combine(directory, "model.safetensors.index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace(
            $"\"{Norm}\": \"model-00002-of-00003.safetensors\"", $"\"{Norm}\": \"model-00001-of-00003.safetensors\""));
        using var checkpoint = HuggingFaceCheckpoint.Open(directory);
        var error = Assert.Throws<InvalidDataException>(() => checkpoint.ReadFloats(Norm));
        Assert.Contains($"Index '{index}' maps tensor '{Norm}' to 'model-00001-of-00003.safetensors', but that file does not hold it; the closest of its 1: {Gate}.", error.Message);
    }

    [Theory]
    [InlineData("""{"weight_map": {"w": "../model.safetensors"}}""", "maps tensor 'w' to '../model.safetensors', which is not a file name in the directory")]
    [InlineData("""{"weight_map": {"w": 3}}""", "maps tensor 'w' to Number, not a file name")]
    [InlineData("""{"weight_map": {"w": "a.safetensors", "w": "a.safetensors"}}""", "lists tensor 'w' twice")]
    [InlineData("""{"metadata": {"total_size": 4}}""", "has no \"weight_map\" object mapping tensor names to shard files")]
    [InlineData("""{"weight_map": {""", "is not valid JSON")]
    public void A_malformed_index_is_refused_naming_it(string json, string expected)
    {
        string directory = Path.Combine(Root, "bad-index");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"), json);
        File.WriteAllBytes(Path.Combine(directory, "a.safetensors"), []);
        var error = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Open(directory));
        Assert.Contains(Path.Combine(directory, "model.safetensors.index.json"), error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_directory_without_weights_or_config_says_what_it_lacks()
    {
        string absent = Path.Combine(Root, "absent");
        Assert.Contains($"Checkpoint directory '{absent}' does not exist.", Assert.Throws<DirectoryNotFoundException>(() => HuggingFaceCheckpoint.Open(absent)).Message);

        string pickled = Path.Combine(Root, "pickled");
        Directory.CreateDirectory(pickled);
        File.WriteAllBytes(Path.Combine(pickled, "pytorch_model.bin"), [1, 2, 3]);
        var noWeights = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.Open(pickled));
        Assert.Contains($"Checkpoint directory '{pickled}' holds neither model.safetensors nor model.safetensors.index.json; it has pytorch_model.bin", noWeights.Message);

        string directory = Sharded();
        File.Delete(Path.Combine(directory, "config.json"));
        using var checkpoint = HuggingFaceCheckpoint.Open(directory);
        Assert.Contains($"Checkpoint directory '{directory}' has no config.json", Assert.Throws<FileNotFoundException>(() => checkpoint.ConfigPath).Message);
        Assert.Contains($"Checkpoint directory '{directory}' has no config.json", Assert.Throws<FileNotFoundException>(() => checkpoint.ReadConfig()).Message);
        File.WriteAllText(Path.Combine(directory, "config.json"), "{ not json");
        Assert.Contains($"'{Path.Combine(directory, "config.json")}' is not valid JSON", Assert.Throws<InvalidDataException>(() => checkpoint.ReadConfig()).Message);
    }

    /// <summary>Collects reports on the reporting thread (<see cref="Progress{T}"/> would post them later).</summary>
    private sealed class SynchronousProgress : IProgress<CheckpointProgress>
    {
        public List<CheckpointProgress> Reports { get; } = [];
        public void Report(CheckpointProgress value) => Reports.Add(value);
    }
}
