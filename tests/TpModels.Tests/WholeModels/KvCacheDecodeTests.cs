using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>
/// Decoding with the KV cache equals recomputing the whole sequence, token by token, for a batch of sequences of different
/// lengths, dense and sharded (KV heads split, and replicated past their count), with exactly the collectives the plan
/// says: one all-reduce for the embedding and two per layer each forward.
/// </summary>
public class KvCacheDecodeTests
{
    private static LlamaConfig Config(int heads, int kvHeads, bool tied = false) =>
        LlamaConfig.Small(vocabulary: 53, hidden: heads * 6, intermediate: 60, layers: 2, heads: heads, kvHeads: kvHeads) with { TieEmbeddings = tied };

    public static TheoryData<int, int, int, bool> Cases => new()
    {
        { 6, 2, 1, false }, { 6, 2, 2, false }, { 6, 3, 3, true }, { 6, 2, 6, false }, { 4, 4, 4, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cached_decode_equals_full_recompute(int heads, int kvHeads, int tp, bool tied)
    {
        var config = Config(heads, kvHeads, tied);
        var dense = new LlamaModel(config);
        int[][] prompts = [[5, 9, 13, 2, 40], [7, 1, 30]];
        int[][] continuations = [[3, 44, 12, 8], [50, 6, 21, 19]];
        var worst = new float[tp];
        var collectives = new long[tp];
        InProcessWorld.Run(tp, group =>
        {
            var model = new LlamaModel(config);
            model.ShardFrom(dense, group);
            var cache = model.CreateCache(slots: 2, capacity: 16);
            float error = 0;
            // Prefill both prompts, then feed both continuations one token per step, comparing each step's logits with a
            // forward over the whole sequence so far without a cache.
            var logits = model.Forward(prompts.SelectMany(p => p).ToArray(), SequenceBatch.Prefill(5, 3), cache, LogitRows.LastOfEachSequence);
            error = Math.Max(error, Difference(logits, Recompute(model, prompts)));
            var sequences = prompts.Select(p => p.ToList()).ToArray();
            for (int step = 0; step < 4; step++)
            {
                int[] ids = [continuations[0][step], continuations[1][step]];
                int[] positions = [sequences[0].Count, sequences[1].Count];
                for (int s = 0; s < 2; s++) sequences[s].Add(ids[s]);
                group.Counters.Reset();
                logits = model.Forward(ids, SequenceBatch.Decode([0, 1], positions), cache, LogitRows.LastOfEachSequence);
                collectives[group.Rank] = group.Counters.Calls(CollectiveKind.AllReduce);
                error = Math.Max(error, Difference(logits, Recompute(model, sequences.Select(s => s.ToArray()).ToArray())));
            }
            worst[group.Rank] = error;
        });
        Assert.All(worst, error => Assert.True(error < 1e-5, $"max |cached - recomputed| = {error:E2}"));
        Assert.All(collectives, calls => Assert.Equal(1 + 2 * config.Layers, calls));
    }

    [Fact]
    public void Sharded_generation_equals_dense_generation_greedy_and_sampled()
    {
        var config = Config(heads: 6, kvHeads: 2);
        var dense = new LlamaModel(config);
        int[][] prompts = [[5, 9, 13], [8, 2]];
        var sampled = new GenerationOptions { MaxNewTokens = 6, StopAtEos = false, Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.9f, Seed = 77 } };
        var greedy = new GenerationOptions { MaxNewTokens = 6, StopAtEos = false };
        var expectedGreedy = TextGeneration.Generate(dense, prompts, greedy).Tokens;
        var expectedSampled = TextGeneration.Generate(dense, prompts, sampled).Tokens;
        foreach (int tp in new[] { 2, 6 })
        {
            var results = new IReadOnlyList<int[]>[tp][];
            InProcessWorld.Run(tp, group =>
            {
                var model = new LlamaModel(config);
                model.ShardFrom(dense, group);
                results[group.Rank] = [TextGeneration.Generate(model, prompts, greedy).Tokens, TextGeneration.Generate(model, prompts, sampled).Tokens];
            });
            foreach (var result in results)
            {
                Assert.Equal(expectedGreedy, result[0]);
                Assert.Equal(expectedSampled, result[1]);
            }
        }
    }

    private static float[][] Recompute(LlamaModel model, int[][] sequences) =>
        sequences.Select(sequence =>
        {
            var logits = model.Forward(sequence, SequenceBatch.Prefill(sequence.Length), cache: null, LogitRows.LastOfEachSequence);
            return logits.LocalSpan.ToArray();
        }).ToArray();

    private static float Difference(DTensor logits, float[][] expected)
    {
        var local = logits.LocalSpan;
        int width = logits.LocalFeatures;
        float error = 0;
        for (int s = 0; s < expected.Length; s++)
            for (int v = 0; v < width; v++)
            {
                float a = local[s * width + v], b = expected[s][v];
                if (float.IsNegativeInfinity(a) && float.IsNegativeInfinity(b)) continue;
                error = Math.Max(error, Math.Abs(a - b));
            }
        return error;
    }
}
