using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using TpCodegen.Checkpoints;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models;

namespace TpCodegen.Bench.Models;

/// <summary>
/// Loading the 2-layer TinyLlama-shaped directory (F32 and BF16, warm page cache) at tp=1 and tp=2: each rank reads
/// only its shard's bytes (the counts print once in setup; the tests assert them), so the tp=2 load reads half per rank.
/// Throughput = bytes read / mean; the floor reads the same bytes with no sharding, transposing or packing.
/// </summary>
[Config(typeof(Config))]
public class CheckpointLoadBenchmarks
{
    private static readonly string F32 = Path.Combine(Path.GetTempPath(), "tpcodegen-ttft-tinyllama-2l");
    private static readonly string Bf16 = Path.Combine(Path.GetTempPath(), "tpcodegen-load-tinyllama-2l-bf16");

    [Params("F32", "BF16")]
    public string DType { get; set; } = "F32";

    private string Directory => DType == "F32" ? F32 : Bf16;

    [GlobalSetup]
    public void Setup()
    {
        new TimeToFirstTokenBenchmarks().Setup(); // writes the F32 directory once
        if (!File.Exists(Path.Combine(Bf16, "model.safetensors")))
        {
            System.IO.Directory.CreateDirectory(Bf16);
            File.Copy(Path.Combine(F32, "config.json"), Path.Combine(Bf16, "config.json"), overwrite: true);
            using var source = SafetensorsCheckpoint.Open(Path.Combine(F32, "model.safetensors"));
            SafetensorsWriter.Write(Path.Combine(Bf16, "model.safetensors"),
                source.TensorNames.Select(n => SafetensorsWriter.Tensor.BF16(n, source.Describe(n).Shape, source.ReadFloats(n))).ToList());
        }
        foreach (int tp in new[] { 1, 2 })
        {
            var read = new long[tp];
            InProcessWorld.Run(tp, group =>
            {
                using var checkpoint = HuggingFaceCheckpoint.Open(Directory);
                new LlamaModel(LlamaConfig.Read(checkpoint.ConfigPath)).Load(checkpoint, group);
                read[group.Rank] = checkpoint.BytesRead;
            });
            Console.WriteLine($"// {DType} tp={tp}: bytes read per rank {string.Join(", ", read)}");
        }
    }

    /// <summary>
    /// What any loader must at least do: every tensor read whole into new F32 arrays (converted from BF16), nothing
    /// sharded, transposed or packed. On this VM fresh memory costs more than the copy from the page cache.
    /// </summary>
    [Benchmark(Description = "read every tensor into new F32 arrays (floor)")]
    public long ReadAll()
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(Directory);
        long floats = 0;
        foreach (string name in checkpoint.TensorNames) floats += checkpoint.ReadFloats(name).Length;
        return floats;
    }

    /// <summary>
    /// The same reads into freshly allocated native memory, freed after each tensor: what the first touch of new pages
    /// costs on this machine (a loader's packed weights are new memory; the floor above reuses the GC's warm heap).
    /// </summary>
    [Benchmark(Description = "read every tensor into fresh native memory (floor with page faults)")]
    public unsafe long ReadAllFresh()
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(Directory);
        long floats = 0;
        foreach (string name in checkpoint.TensorNames)
        {
            var shape = checkpoint.Describe(name).Shape;
            long rows = shape.Length == 2 ? shape[0] : 1, columns = shape[^1];
            float* memory = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rows * columns * sizeof(float)), 64);
            try
            {
                checkpoint.ReadBlock(name, (int)rows, (int)columns, 0, (int)rows, 0, (int)columns, new Span<float>(memory, (int)(rows * columns)));
                floats += rows * columns;
            }
            finally
            {
                System.Runtime.InteropServices.NativeMemory.AlignedFree(memory);
            }
        }
        return floats;
    }

    [Benchmark(Baseline = true, Description = "load, tp=1")]
    public void Load1() => Load(1);

    [Benchmark(Description = "load, tp=2 (both ranks)")]
    public void Load2() => Load(2);

    private void Load(int tp) => InProcessWorld.Run(tp, group =>
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(Directory);
        new LlamaModel(LlamaConfig.Read(checkpoint.ConfigPath)).Load(checkpoint, group);
    });

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5));
    }
}
