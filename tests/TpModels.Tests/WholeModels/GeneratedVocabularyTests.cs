using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Checkpoints;
using TpCodegen.Parallel;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>A token-in, logits-out module written with attributes only: the generator wires both vocabulary splits.</summary>
public partial class TokenInLogitsOut(int vocabulary, int hidden, int seed)
{
    [TensorParallel(Split.Vocab)]
    public Embedding Embed { get; } = new(vocabulary, hidden, seed);

    [TensorParallel(Split.Vocab)]
    public Linear Head { get; } = new(hidden, vocabulary, bias: true, seed: seed + 1);

    public DTensor Forward(ReadOnlySpan<int> ids) => Head.Forward(Embed.Forward(ids));
}

/// <summary>A language model's ends with the head optional: null when tied to the embedding (tie_word_embeddings).</summary>
public partial class MaybeTiedEnds(int vocabulary, int hidden, bool tied, int seed)
{
    [TensorParallel(Split.Vocab)]
    public Embedding Embed { get; } = new(vocabulary, hidden, seed);

    [TensorParallel(Split.Vocab)]
    public Linear? Head { get; } = tied ? null : new(hidden, vocabulary, bias: false, seed: seed + 1);

    public DTensor Forward(ReadOnlySpan<int> ids)
    {
        var h = Embed.Forward(ids);
        return Head is null ? Embed.Logits(h) : Head.Forward(h);
    }
}

/// <summary>
/// Generated <c>[TensorParallel(Split.Vocab)]</c> members (an Embedding table and an LM head) against a dense
/// double-precision answer, with a vocabulary of 37 that no degree above 1 divides, from a dense module and from a
/// checkpoint; the plan names the padding and the embedding's all-reduce.
/// </summary>
public class GeneratedVocabularyTests
{
    private const int Vocabulary = 37, Hidden = 10;
    private static readonly int[] Ids = [0, 36, 9, 10, 27, 36, 5];

    public static TheoryData<int> Degrees => new() { 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Degrees))]
    public void Generated_vocab_shards_give_the_dense_logits_and_argmax(int tp)
    {
        var dense = new TokenInLogitsOut(Vocabulary, Hidden, seed: 3);
        var expected = DenseLogits(dense);
        var split = VocabularySplit.Of(Vocabulary, tp, 0);
        var gathered = new float[tp][];
        var chosen = new int[tp][];
        var allReduces = new long[tp];
        InProcessWorld.Run(tp, group =>
        {
            var module = new TokenInLogitsOut(Vocabulary, Hidden, seed: 99); // its own weights are never used
            module.ShardFrom(dense, group);
            group.Counters.Reset();
            var logits = module.Forward(Ids);
            allReduces[group.Rank] = group.Counters.Calls(CollectiveKind.AllReduce);
            Assert.Equal(split.Local, logits.LocalFeatures);
            chosen[group.Rank] = VocabParallel.Argmax(logits);
            gathered[group.Rank] = logits.FullTensor().ToArray();
        });
        var expectedIds = Enumerable.Range(0, Ids.Length).Select(t => ArgmaxOf(expected, t)).ToArray();
        foreach (var full in gathered) AssertLogits(expected, full, split.Padded);
        Assert.All(chosen, ids => Assert.Equal(expectedIds, ids));
        Assert.All(allReduces, calls => Assert.Equal(1, calls)); // the embedding's; the head's logits stay split
    }

    [Theory]
    [MemberData(nameof(Degrees))]
    public void Generated_vocab_shards_load_from_a_checkpoint(int tp)
    {
        var dense = new TokenInLogitsOut(Vocabulary, Hidden, seed: 5);
        var expected = DenseLogits(dense);
        string directory = Directory.CreateTempSubdirectory("tp-vocab-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.safetensors");
            // This runtime's own layout: a Linear's weight [in, out], an embedding table [vocabulary, features].
            SafetensorsWriter.Write(path,
            [
                SafetensorsWriter.Tensor.F32("io.Embed.weight", [Vocabulary, Hidden], dense.Embed.Weight),
                SafetensorsWriter.Tensor.F32("io.Head.weight", [Hidden, Vocabulary], dense.Head.Weight),
                SafetensorsWriter.Tensor.F32("io.Head.bias", [Vocabulary], dense.Head.Bias!),
            ]);
            var gathered = new float[tp][];
            InProcessWorld.Run(tp, group =>
            {
                using var checkpoint = SafetensorsCheckpoint.Open(path);
                var module = new TokenInLogitsOut(Vocabulary, Hidden, seed: 99);
                module.ShardFrom(checkpoint, group, "io.");
                gathered[group.Rank] = module.Forward(Ids).FullTensor().ToArray();
            });
            foreach (var full in gathered) AssertLogits(expected, full, VocabularySplit.Of(Vocabulary, tp, 0).Padded);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(3, false)]
    public void Optional_head_is_skipped_when_tied_and_the_tied_logits_match_dense(int tp, bool tied)
    {
        var dense = new MaybeTiedEnds(Vocabulary, Hidden, tied, seed: 8);
        var e = dense.Embed.Weight;
        var w = tied ? null : dense.Head!.Weight;
        var expected = new double[Ids.Length * Vocabulary];
        for (int t = 0; t < Ids.Length; t++)
            for (int v = 0; v < Vocabulary; v++)
                for (int h = 0; h < Hidden; h++)
                    expected[t * Vocabulary + v] += (double)e[Ids[t] * Hidden + h] * (tied ? e[v * Hidden + h] : w![h * Vocabulary + v]);
        var gathered = new float[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var module = new MaybeTiedEnds(Vocabulary, Hidden, tied, seed: 99);
            module.ShardFrom(dense, group);
            gathered[group.Rank] = module.Forward(Ids).FullTensor().ToArray();
        });
        foreach (var full in gathered) AssertLogits(expected, full, VocabularySplit.Of(Vocabulary, tp, 0).Padded);
        Assert.Equal(tied ? ["Embed"] : ["Embed", "Head"], dense.GetPlan(tp, 4).Layers.Select(l => l.LayerName));
    }

    [Fact]
    public void Plan_shows_the_padding_and_the_embedding_all_reduce()
    {
        var plan = new TokenInLogitsOut(Vocabulary, Hidden, seed: 1).GetPlan(tp: 4, tokens: 8);
        Assert.Equal(["Embed", "Head"], plan.Layers.Select(l => l.LayerName));
        var embed = plan.Layers[0];
        Assert.Equal((10, Hidden), (embed.LocalInFeatures, embed.LocalOutFeatures)); // 37 ids padded to 40, 10 per rank
        Assert.Equal([new PlannedCollective(CollectiveKind.AllReduce, 8L * Hidden * sizeof(float))], embed.Collectives);
        Assert.Equal((Hidden, 10), (plan.Layers[1].LocalInFeatures, plan.Layers[1].LocalOutFeatures));
        Assert.Empty(plan.Layers[1].Collectives);
        Assert.Contains("vocabulary 37 padded to 40 (+3), 10 ids per rank", plan.ToString());
    }

    [Fact]
    public void An_embedding_table_of_another_shape_is_refused_before_any_layer_is_sharded()
    {
        var dense = new TokenInLogitsOut(Vocabulary + 1, Hidden, seed: 3);
        InProcessWorld.Run(2, group =>
        {
            var module = new TokenInLogitsOut(Vocabulary, Hidden, seed: 3);
            var error = Assert.Throws<ArgumentException>(() => module.ShardFrom(dense, group));
            Assert.Contains("Embedding 'Embed' is [37, 10] but its shard was cut from a [38, 10] table", error.Message);
            Assert.Null(module.Embed.Shard);
            Assert.Null(module.Head.Shard);
        });
    }

    // Double precision, from the dense weights: logits[t, v] = b[v] + sum_h E[id_t, h] W[h, v].
    private static double[] DenseLogits(TokenInLogitsOut dense)
    {
        var e = dense.Embed.Weight;
        var w = dense.Head.Weight;
        var b = dense.Head.Bias!;
        var logits = new double[Ids.Length * Vocabulary];
        for (int t = 0; t < Ids.Length; t++)
            for (int v = 0; v < Vocabulary; v++)
            {
                double sum = b[v];
                for (int h = 0; h < Hidden; h++) sum += (double)e[Ids[t] * Hidden + h] * w[h * Vocabulary + v];
                logits[t * Vocabulary + v] = sum;
            }
        return logits;
    }

    private static int ArgmaxOf(double[] logits, int token)
    {
        var row = logits.AsSpan(token * Vocabulary, Vocabulary);
        int best = 0;
        for (int v = 1; v < Vocabulary; v++) if (row[v] > row[best]) best = v;
        return best;
    }

    // The gathered logits are [tokens, padded]: the real ids match, the padding is -infinity.
    private static void AssertLogits(double[] expected, float[] full, int padded)
    {
        for (int t = 0; t < Ids.Length; t++)
            for (int v = 0; v < padded; v++)
            {
                float actual = full[t * padded + v];
                if (v >= Vocabulary) Assert.True(float.IsNegativeInfinity(actual), $"padding logit {v} of token {t} is {actual}");
                else Assert.True(Math.Abs(expected[t * Vocabulary + v] - actual) < 1e-5, $"logit ({t}, {v}): {expected[t * Vocabulary + v]} vs {actual}");
            }
    }
}
