using System;
using System.IO;
using System.Linq;
using TpCodegen;
using TpCodegen.Checkpoints;
using TpCodegen.Collectives;
using TpCodegen.Parallel;

public sealed partial class LBlock
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(256, 1024, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256, bias: false);
    public RmsNorm Norm { get; } = new(256);
    public DTensor Forward(DTensor x) => x + Down.Forward(Ops.Silu(Gate.Forward(Norm.Forward(x))) * Up.Forward(Norm.Forward(x)));
    public static void ShardFrom(LBlock block, ICheckpointShardSource source, ProcessGroup group, string prefix) { }
}

public static class Loader
{
    public static LBlock[] Load(string directory, DeviceMesh mesh, int layers)
    {
        var tp = mesh.TensorParallel;
        string path = Path.Combine(directory, "model.safetensors");
        if (mesh.World.Rank == 0 && !File.Exists(path))
            Console.Error.WriteLine($"missing {path}; every rank will fail to open it");
        mesh.World.Barrier();
        using var checkpoint = SafetensorsCheckpoint.Open(path);
        var blocks = Enumerable.Range(0, layers).Select(_ => new LBlock()).ToArray();
        for (int i = 0; i < layers; i++)
        {
            LBlock.ShardFrom(blocks[i], checkpoint, tp, prefix: $"model.layers.{i}.mlp.");
            blocks[i].Norm.Load(checkpoint, $"model.layers.{i}.post_attention_layernorm");
        }
        // hand-cut the vocabulary rows of the embedding for this rank
        var info = checkpoint.Describe("model.embed_tokens.weight");
        int vocab = 32000, hidden = 256;
        int rowsPerRank = vocab / tp.Size;
        var embedTokens = new float[rowsPerRank * hidden];
        checkpoint.ReadBlock("model.embed_tokens.weight", vocab, hidden, tp.Rank * rowsPerRank, rowsPerRank, 0, hidden, embedTokens);
        var downRows = new float[1024 / tp.Size * 256];
        checkpoint.ReadBlock("model.layers.0.mlp.down_proj.weight", 1024, 256, tp.Rank * (1024 / tp.Size), 1024 / tp.Size, 0, 256, downRows);
        if (tp.Rank == 0) Console.WriteLine($"loaded {layers} layers, {checkpoint.BytesRead} bytes on rank 0, {info}");
        return blocks;
    }
}
