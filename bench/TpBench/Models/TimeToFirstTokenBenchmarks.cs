using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using TpCodegen.Collectives;
using TpCodegen.Models;

namespace TpCodegen.Bench.Models;

/// <summary>
/// Time to first token: load a Hugging Face directory (2 layers of TinyLlama's shapes, from the page cache), prefill a
/// 16-token prompt, choose the first token and run the first decode step. The cold job runs it once per fresh process
/// (JIT included: the hot loops are compiled optimised at once), the warm job in a process that has run it before.
/// </summary>
[Config(typeof(Config))]
public class TimeToFirstTokenBenchmarks
{
    private static readonly string Directory = Path.Combine(Path.GetTempPath(), "tpcodegen-ttft-tinyllama-2l");

    [GlobalSetup]
    public void Setup()
    {
        if (File.Exists(Path.Combine(Directory, "model.safetensors"))) return;
        var config = TinyLlamaShapes.Config with { Layers = 2 };
        LlamaExport.Save(new LlamaModel(config), Directory);
    }

    [Benchmark(Description = "load + prefill 16 + first decode step, tp=1")]
    public int[] FirstToken()
    {
        var model = HuggingFaceModel.Load(Directory, SingleRankGroup.Instance);
        return TextGeneration.Generate(model, [TinyLlamaShapes.Prompt(16)], new GenerationOptions { MaxNewTokens = 2, StopAtEos = false }).Tokens[0];
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithStrategy(RunStrategy.ColdStart).WithLaunchCount(5).WithWarmupCount(0).WithIterationCount(1).WithId("cold process"));
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("warm"));
        }
    }
}
