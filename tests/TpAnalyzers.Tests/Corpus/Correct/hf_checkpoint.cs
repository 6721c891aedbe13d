using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using TpCodegen;
using TpCodegen.Checkpoints;
using TpCodegen.Collectives;
using TpCodegen.Parallel;

public sealed partial class HfMlp
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(2048, 5632, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(2048, 5632, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(5632, 2048, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
    public void ShardFrom(ICheckpointShardSource source, ProcessGroup group, string prefix) { }
}

public sealed class HfBlock
{
    public RmsNorm PostNorm { get; } = new(2048);
    public HfMlp Mlp { get; } = new();
    public DTensor Forward(DTensor x) => x + Mlp.Forward(PostNorm.Forward(x));
}

public static class HfLoader
{
    public static HfBlock[] Load(string directory, ProcessGroup tp, IProgress<CheckpointProgress>? progress = null)
    {
        using var hf = HuggingFaceCheckpoint.Open(directory, progress);
        using var config = hf.ReadConfig();
        int layers = config.RootElement.GetProperty("num_hidden_layers").GetInt32();
        // PyTorch stores nn.Linear as [out, in]: read it transposed
        var mapped = new MappedCheckpoint(hf, name => name.EndsWith(".weight") && name.Contains("_proj")
            ? new StoredTensor(name, Transposed: true) : null);
        var blocks = Enumerable.Range(0, layers).Select(_ => new HfBlock()).ToArray();
        foreach (var (block, i) in blocks.Select((b, i) => (b, i)))
        {
            block.Mlp.ShardFrom(mapped, tp, $"model.layers.{i}.mlp.");
            block.PostNorm.Load(hf, $"model.layers.{i}.post_attention_layernorm");
        }
        if (tp.Rank == 0)
            Console.WriteLine($"{layers} layers from {Path.GetFileName(directory)}: read {hf.BytesRead:N0} of {hf.TotalBytes:N0} bytes on rank 0");
        return blocks;
    }

    public static DTensor Run(HfBlock[] blocks, DTensor x) => blocks.Aggregate(x, (h, b) => b.Forward(h));
}

public sealed class ConsoleProgress(ProcessGroup tp) : IProgress<CheckpointProgress>
{
    public void Report(CheckpointProgress value)
    {
        if (tp.Rank == 0) Console.Error.Write($"\r{value}");
    }
}
