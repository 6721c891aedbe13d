using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

namespace TpCodegen.Tests.Training;

/// <summary>
/// The vocabulary-parallel cross-entropy equals a dense double-precision reference (loss and gradient) at tp 1-4 on a
/// vocabulary no degree but 1 divides, with label smoothing and ignored tokens: padding columns get no gradient, the loss
/// is the same on every rank, and each rank runs exactly two all-reduces.
/// </summary>
public sealed class CrossEntropyTests
{
    private const int Tokens = 6, Vocabulary = 11, Ignore = -100;
    private static readonly int[] s_targets = [3, 10, Ignore, 0, 7, 10];

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void Sharded_loss_and_gradient_equal_the_dense_reference(float smoothing)
    {
        var logits = GradientCheck.Random(Tokens * Vocabulary, seed: 21, scale: 4);
        var (expectedLoss, expectedGradient) = Reference(logits, smoothing);
        foreach (int tp in (int[])[1, 2, 3, 4])
        {
            var results = InProcessWorld.Run(tp, group =>
            {
                var split = VocabularySplit.Of(Vocabulary, tp, group.Rank);
                var local = new float[Tokens * split.Local];
                for (int t = 0; t < Tokens; t++)
                    for (int c = 0; c < split.Local; c++)
                        local[t * split.Local + c] = c < split.LocalReal ? logits[t * Vocabulary + split.Start + c] : float.NegativeInfinity;
                var x = DTensor.FromArray(local, Tokens, split.Local, Placement.Shard(-1), group);
                group.Counters.Reset();
                using var tape = Tape.Start();
                tape.Watch(x);
                var loss = VocabParallelCrossEntropy.Loss(x, s_targets, Vocabulary, smoothing, Ignore);
                long reduces = group.Counters.Calls(CollectiveKind.AllReduce);
                tape.Backward(loss);
                return (Loss: loss.LocalSpan[0], Gradient: tape.Gradient(x)!.LocalSpan.ToArray(), split, reduces, group.Counters.DataCalls);
            });
            foreach (var r in results)
            {
                string at = $"tp={tp} rank {r.split.Rank} smoothing {smoothing}";
                Assert.True(Math.Abs(r.Loss - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss), $"{at}: loss {r.Loss}, reference {expectedLoss}");
                for (int t = 0; t < Tokens; t++)
                    for (int c = 0; c < r.split.Local; c++)
                    {
                        float actual = r.Gradient[t * r.split.Local + c];
                        if (c >= r.split.LocalReal) Assert.True(actual == 0, $"{at}: padding column {c} of token {t} has gradient {actual}");
                        else
                        {
                            double expected = expectedGradient[t * Vocabulary + r.split.Start + c];
                            Assert.True(Math.Abs(actual - expected) <= 1e-6 + 1e-5 * Math.Abs(expected), $"{at}: token {t} id {r.split.Start + c}: {actual} vs {expected}");
                        }
                    }
                Assert.Equal(2, r.reduces);
                Assert.Equal(2, r.DataCalls);
            }
        }
    }

    [Fact]
    public void Dense_logits_need_no_collective()
    {
        var logits = GradientCheck.Random(Tokens * Vocabulary, seed: 22, scale: 2);
        var (expected, _) = Reference(logits, 0f);
        // A group of its own: the shared single-rank instance's counters serve other tests too.
        var group = new SingleRankGroup();
        var loss = VocabParallelCrossEntropy.Loss(DTensor.FromArray(logits, Tokens, Vocabulary, Placement.Replicate, group), s_targets, Vocabulary);
        Assert.True(Math.Abs(loss.LocalSpan[0] - expected) <= 1e-5 * expected);
        Assert.Equal(0, group.Counters.DataCalls);
    }

    [Fact]
    public void Bad_targets_and_widths_are_named()
    {
        var x = DTensor.FromArray(new float[2 * Vocabulary], 2, Vocabulary, Placement.Replicate, SingleRankGroup.Instance);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => VocabParallelCrossEntropy.Loss(x, [1, 11], Vocabulary));
        Assert.StartsWith("Cross-entropy: token 1 has target 11, outside the vocabulary [0, 11) and not the ignore index -100.", error.Message);
        var wide = Assert.Throws<ArgumentException>(() => VocabParallelCrossEntropy.Loss(x, [1, 2], 12));
        Assert.StartsWith("Cross-entropy: Replicate logits DTensor [2, 11] Replicate", wide.Message);
    }

    // PyTorch's cross_entropy with label_smoothing and ignore_index, mean over the counted tokens, in double.
    private static (double Loss, double[] Gradient) Reference(float[] logits, float smoothing)
    {
        var gradient = new double[logits.Length];
        double total = 0;
        int counted = s_targets.Count(t => t != Ignore);
        for (int t = 0; t < Tokens; t++)
        {
            if (s_targets[t] == Ignore) continue;
            var row = Enumerable.Range(0, Vocabulary).Select(c => (double)logits[t * Vocabulary + c]).ToArray();
            double max = row.Max(), logZ = max + Math.Log(row.Sum(z => Math.Exp(z - max)));
            total += (1 - smoothing) * (logZ - row[s_targets[t]]) + smoothing * row.Average(z => logZ - z);
            for (int c = 0; c < Vocabulary; c++)
                gradient[t * Vocabulary + c] = (Math.Exp(row[c] - logZ) - smoothing / Vocabulary - (c == s_targets[t] ? 1 - smoothing : 0)) / counted;
        }
        return (total / counted, gradient);
    }
}
