using TpCodegen.Checkpoints;
using TpCodegen.Collectives;
using TpCodegen.Models;

namespace TpCodegen.MpiDriver;

/// <summary>
/// Whole models across MPI processes: each rank loads only its shard of the tiny Hugging Face checkpoints of
/// tests/Fixtures/hf-tiny, and the logits must equal PyTorch's, the KV-cache greedy decode PyTorch's tokens, with one
/// all-reduce for the embedding and two per decoder layer each forward, and one (max, id) exchange per chosen token.
/// </summary>
internal sealed class ModelChecks(ProcessGroup world, CheckReporter reporter)
{
    public static readonly string[] Fixtures = ["llama-tiny/f32", "llama-tiny/bf16", "gpt2-tiny/f32"];

    public void RunAll()
    {
        foreach (string name in Fixtures)
        {
            string directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf-tiny", name);
            using var io = SafetensorsCheckpoint.Open(Path.Combine(directory, "io.safetensors"));
            var ids = io.ReadInt64("input_ids").Select(v => (int)v).ToArray();
            int length = (int)io.Describe("input_ids").Shape[1], vocabulary = (int)io.Describe("logits").Shape[2];
            var expected = io.ReadFloats("logits");
            var greedy = io.ReadInt64("greedy").Skip(length).Select(v => (int)v).ToArray();

            var model = HuggingFaceModel.Load(directory, world);
            world.Counters.Reset();
            var logits = model.Forward(ids, SequenceBatch.Prefill(length, ids.Length - length), cache: null);
            long allReduces = world.Counters.Calls(CollectiveKind.AllReduce);
            var full = logits.FullTensor().ToArray();
            int width = full.Length / ids.Length;
            float worst = 0;
            for (int t = 0; t < ids.Length; t++)
                for (int v = 0; v < vocabulary; v++)
                    worst = Math.Max(worst, Math.Abs(full[t * width + v] - expected[t * vocabulary + v]));
            int layers = name.StartsWith("gpt2", StringComparison.Ordinal) ? ((Gpt2Model)model).Layers.Count : ((LlamaModel)model).Layers.Count;
            reporter.Report($"model {name} logits match pytorch",
                worst < 1e-4f ? (allReduces == 1 + 2 * layers ? null : $"one forward ran {allReduces} all-reduces, expected {1 + 2 * layers}")
                : $"max |logit - pytorch| = {worst:E2}");

            world.Counters.Reset();
            var generated = TextGeneration.Generate(model, [ids[..length]], new GenerationOptions { MaxNewTokens = greedy.Length, StopAtEos = false }).Tokens[0];
            long gathers = world.Counters.Calls(CollectiveKind.AllGather);
            reporter.Report($"model {name} greedy decode matches pytorch",
                !generated.SequenceEqual(greedy) ? $"generated {string.Join(",", generated)}, expected {string.Join(",", greedy)}"
                : gathers != greedy.Length ? $"{gathers} all-gathers for {greedy.Length} tokens, expected one per token" : null);
        }
    }
}
