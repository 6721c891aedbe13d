using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Parallel;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>
/// The vocabulary split (embedding rows, tied and untied heads, argmax, sampling) against dense double-precision answers,
/// with a vocabulary of 37 that no degree above 1 divides: padding never shows.
/// </summary>
public class VocabularyParallelTests
{
    private const int Vocabulary = 37, Hidden = 10, Tokens = 6;

    public static TheoryData<int> Degrees => new() { 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Degrees))]
    public void Embedding_lookup_equals_the_dense_rows_with_one_all_reduce(int tp)
    {
        var dense = new Embedding(Vocabulary, Hidden, seed: 7);
        int[] ids = [0, 36, 9, 10, 27, 36];
        var expected = ids.SelectMany(id => dense.Weight.AsSpan(id * Hidden, Hidden).ToArray()).ToArray();
        var outputs = new float[tp][];
        var allReduces = new long[tp];
        InProcessWorld.Run(tp, group =>
        {
            var embedding = new Embedding(Vocabulary, Hidden, seed: 7);
            embedding.UseShard(EmbeddingShard.From(dense, "Embed", group));
            group.Counters.Reset();
            var y = embedding.Forward(ids, group);
            allReduces[group.Rank] = group.Counters.Calls(CollectiveKind.AllReduce);
            outputs[group.Rank] = y.ToTensor().ToArray();
        });
        Assert.All(outputs, output => Assert.Equal(expected, output));
        Assert.All(allReduces, calls => Assert.Equal(1, calls));
    }

    [Theory]
    [MemberData(nameof(Degrees))]
    public void Tied_head_logits_are_the_dense_logits_with_padding_at_minus_infinity(int tp)
    {
        var dense = new Embedding(Vocabulary, Hidden, seed: 11);
        var h = Reference.Input(Tokens, Hidden, seed: 2);
        var expected = DenseLogits(h, dense.Weight, transposed: true);
        var split = VocabularySplit.Of(Vocabulary, tp, 0);
        var gathered = new float[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var embedding = new Embedding(Vocabulary, Hidden, seed: 11);
            embedding.UseShard(EmbeddingShard.From(dense, "Embed", group));
            var logits = embedding.Logits(DTensor.FromArray(h, Tokens, Hidden, Placement.Replicate, group));
            Assert.Equal(split.Local, logits.LocalFeatures);
            gathered[group.Rank] = logits.FullTensor().ToArray();
        });
        foreach (var full in gathered) AssertLogits(expected, full, split.Padded);
    }

    [Theory]
    [MemberData(nameof(Degrees))]
    public void Vocab_parallel_head_equals_the_dense_head_and_its_argmax(int tp)
    {
        var dense = new Linear(Hidden, Vocabulary, bias: true, seed: 5);
        var h = Reference.Input(Tokens, Hidden, seed: 4);
        var expected = Reference.Linear(h, dense, Tokens);
        var expectedIds = Enumerable.Range(0, Tokens).Select(t => ArgmaxOf(expected.AsSpan(t * Vocabulary, Vocabulary))).ToArray();
        var split = VocabularySplit.Of(Vocabulary, tp, 0);
        var gathered = new float[tp][];
        var chosen = new int[tp][];
        var gathers = new long[tp];
        InProcessWorld.Run(tp, group =>
        {
            var head = new Linear(Hidden, Vocabulary, bias: true, seed: 5);
            head.UseShard(new VocabParallelLinear(group, LinearShard.Vocab(dense, "Head", group.Rank, group.Size)));
            var logits = head.Forward(DTensor.FromArray(h, Tokens, Hidden, Placement.Replicate, group));
            group.Counters.Reset();
            chosen[group.Rank] = VocabParallel.Argmax(logits);
            gathers[group.Rank] = group.Counters.DataCalls;
            gathered[group.Rank] = logits.FullTensor().ToArray();
        });
        foreach (var full in gathered) AssertLogits(expected, full, split.Padded);
        Assert.All(chosen, ids => Assert.Equal(expectedIds, ids));
        Assert.All(gathers, calls => Assert.Equal(tp == 1 ? 0 : 1, calls)); // one (max, id) exchange per step, not the logits
    }

    [Fact]
    public void Argmax_breaks_ties_by_the_lower_id_across_shards()
    {
        var ids = new int[2][];
        InProcessWorld.Run(2, group =>
        {
            // Ids 3 (rank 0) and 7 (rank 1) tie at the maximum.
            var local = new float[5];
            local[group.Rank == 0 ? 3 : 2] = 9f;
            ids[group.Rank] = VocabParallel.Argmax(DTensor.FromArray(local, 1, 5, Placement.Shard(-1), group));
        });
        Assert.All(ids, chosen => Assert.Equal([3], chosen));
    }

    [Fact]
    public void Sampling_draws_the_same_ids_at_every_degree_and_respects_top_k()
    {
        var dense = new Linear(Hidden, Vocabulary, bias: false, seed: 21);
        var h = Reference.Input(Tokens, Hidden, seed: 9);
        var expected = Reference.Linear(h, dense, Tokens);
        var options = new SamplingOptions { Temperature = 1.5f, TopK = 5, Seed = 1234 };
        long[] keys = Enumerable.Range(0, Tokens).Select(t => (long)t * 1000).ToArray();
        var draws = new Dictionary<int, int[]>();
        foreach (int tp in new[] { 1, 2, 3, 4 })
        {
            var chosen = new int[tp][];
            InProcessWorld.Run(tp, group =>
            {
                var head = new Linear(Hidden, Vocabulary, bias: false, seed: 21);
                head.UseShard(new VocabParallelLinear(group, LinearShard.Vocab(dense, "Head", group.Rank, group.Size)));
                chosen[group.Rank] = VocabParallel.Sample(head.Forward(DTensor.FromArray(h, Tokens, Hidden, Placement.Replicate, group)), options, keys);
            });
            Assert.All(chosen, ids => Assert.Equal(chosen[0], ids));
            draws[tp] = chosen[0];
        }
        Assert.All(draws.Values, ids => Assert.Equal(draws[1], ids));
        for (int t = 0; t < Tokens; t++)
        {
            var row = expected.AsSpan(t * Vocabulary, Vocabulary).ToArray();
            var topFive = row.Select((v, id) => (v, id)).OrderByDescending(p => p.v).Take(5).Select(p => p.id);
            Assert.Contains(draws[1][t], topFive);
        }
    }

    [Fact]
    public void Sampling_with_a_tiny_top_p_or_top_k_of_one_is_greedy()
    {
        var logits = Reference.Input(Tokens, Vocabulary, seed: 13);
        var x = DTensor.FromArray(logits, Tokens, Vocabulary, Placement.Replicate, SingleRankGroup.Instance);
        var greedy = VocabParallel.Argmax(x);
        long[] keys = Enumerable.Range(0, Tokens).Select(t => (long)t).ToArray();
        Assert.Equal(greedy, VocabParallel.Sample(x, new SamplingOptions { Temperature = 1, TopK = 1, Seed = 3 }, keys));
        Assert.Equal(greedy, VocabParallel.Sample(x, new SamplingOptions { Temperature = 1, TopP = 1e-6f, Seed = 3 }, keys));
        Assert.Throws<ArgumentOutOfRangeException>(() => VocabParallel.Sample(x, new SamplingOptions { Temperature = 1, TopP = 0 }, keys));
    }

    [Fact]
    public void Looking_up_an_id_outside_the_vocabulary_names_it()
    {
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            var embedding = new Embedding(Vocabulary, Hidden, seed: 1);
            embedding.UseShard(EmbeddingShard.From(new Embedding(Vocabulary, Hidden, seed: 1), "Embed", group));
            embedding.Forward([1, 40], group);
        }));
        Assert.Contains("Embedding 'Embed': token 1 has id 40, outside the vocabulary [0, 37)", error.InnerException!.Message);
    }

    private static float[] DenseLogits(float[] h, float[] table, bool transposed)
    {
        var logits = new float[Tokens * Vocabulary];
        for (int t = 0; t < Tokens; t++)
            for (int v = 0; v < Vocabulary; v++)
            {
                double sum = 0;
                for (int f = 0; f < Hidden; f++) sum += (double)h[t * Hidden + f] * (transposed ? table[v * Hidden + f] : table[f * Vocabulary + v]);
                logits[t * Vocabulary + v] = (float)sum;
            }
        return logits;
    }

    private static void AssertLogits(float[] expected, float[] full, int padded)
    {
        Assert.Equal(Tokens * padded, full.Length);
        var real = new float[Tokens * Vocabulary];
        for (int t = 0; t < Tokens; t++)
        {
            full.AsSpan(t * padded, Vocabulary).CopyTo(real.AsSpan(t * Vocabulary));
            for (int v = Vocabulary; v < padded; v++) Assert.Equal(float.NegativeInfinity, full[t * padded + v]);
        }
        Reference.AssertClose(expected, real, "logits");
    }

    private static int ArgmaxOf(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
