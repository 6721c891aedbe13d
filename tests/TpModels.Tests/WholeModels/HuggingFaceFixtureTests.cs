using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>
/// The tiny Llama and GPT-2 checkpoints of tests/Fixtures/hf-tiny, loaded straight into each rank's shards at every degree
/// their heads allow: the logits equal PyTorch's, and the KV-cache decoder generates PyTorch's greedy tokens.
/// </summary>
public class HuggingFaceFixtureTests
{
    public static TheoryData<string, int, bool> Cases => new()
    {
        { "llama-tiny/f32", 1, false }, { "llama-tiny/f32", 2, false }, { "llama-tiny/f32", 4, false },
        { "llama-tiny/f32", 2, true }, { "llama-tiny/f32", 4, true },
        { "llama-tiny/bf16", 1, false }, { "llama-tiny/bf16", 2, false }, { "llama-tiny/bf16", 4, true },
        { "gpt2-tiny/f32", 1, false }, { "gpt2-tiny/f32", 2, false }, { "gpt2-tiny/f32", 4, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_match_pytorch(string name, int tp, bool fused)
    {
        var fixture = HfFixture.Load(name);
        var worst = new float[tp];
        InProcessWorld.Run(tp, group =>
        {
            var model = fixture.LoadModel(group, fused);
            var batch = SequenceBatch.Prefill(fixture.Prompts.Select(p => p.Length).ToArray());
            var logits = model.Forward(fixture.Prompts.SelectMany(p => p).ToArray(), batch, cache: null).FullTensor().ToArray();
            int width = logits.Length / batch.Tokens; // the padded vocabulary; padding columns are -inf and not compared
            float error = 0;
            for (int t = 0; t < batch.Tokens; t++)
                for (int v = 0; v < fixture.Vocabulary; v++)
                    error = Math.Max(error, Math.Abs(logits[t * width + v] - fixture.Logits[t * fixture.Vocabulary + v]));
            worst[group.Rank] = error;
        });
        Assert.All(worst, error => Assert.True(error < 1e-4, $"{name} at tp={tp}: max |logit - PyTorch| = {error:E2}"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Greedy_decode_with_kv_cache_matches_pytorch(string name, int tp, bool fused)
    {
        var fixture = HfFixture.Load(name);
        var tokens = new int[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var model = fixture.LoadModel(group, fused);
            var result = TextGeneration.Generate(model, [fixture.Prompts[0]], new GenerationOptions { MaxNewTokens = fixture.GreedyContinuation.Length, StopAtEos = false });
            tokens[group.Rank] = result.Tokens[0];
        });
        Assert.All(tokens, generated => Assert.Equal(fixture.GreedyContinuation, generated));
    }
}
