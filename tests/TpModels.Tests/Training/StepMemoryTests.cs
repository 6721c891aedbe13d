using TpCodegen.Collectives.InProcess;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// What a training step holds per rank, in bytes of the rank's step pool (deterministic: counted, not timed): the
/// activations a forward on the tape keeps, and the pool the whole step needs. Sequence parallelism must keep fewer
/// activations than the same model without it, at tp 2 and 4; and the backward hands each activation and each op's
/// scratch back as it passes them, so the step's pool stays within 1.3x the forward's (4.6-5.9x in the training bench before the backward handed
/// buffers back). An output read after the backward that spent it fails by name inside a step scope, and stays readable outside one.
/// </summary>
public sealed class StepMemoryTests
{
    // A hidden state wide against the per-head and MLP activations, as in the models sequence parallelism is for.
    private static readonly LlamaConfig s_config = LlamaConfig.Small(vocabulary: 64, hidden: 96, intermediate: 96, layers: 3, heads: 4, kvHeads: 4);
    private const int Sequences = 2, Length = 32;

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Sequence_parallelism_keeps_fewer_activations(int tp)
    {
        var plain = PooledBytes(new LlamaModel(s_config), tp);
        var sequenceParallel = PooledBytes(new LlamaModel(s_config, sequenceParallel: true), tp);
        for (int rank = 0; rank < tp; rank++)
            Assert.True(sequenceParallel[rank].Forward < 0.9 * plain[rank].Forward,
                $"tp={tp} rank {rank}: {sequenceParallel[rank].Forward} bytes of activations with sequence parallelism, {plain[rank].Forward} without");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void The_backward_reuses_what_it_has_passed(int tp, bool sequenceParallel)
    {
        foreach (var (rank, (forward, step)) in PooledBytes(new LlamaModel(s_config, sequenceParallel: sequenceParallel), tp).Select((b, r) => (r, b)))
            Assert.True(step < 1.3 * forward, $"tp={tp} sequence parallel {sequenceParallel} rank {rank}: the step's pool {step} bytes for {forward} of activations");
    }

    [Fact]
    public void An_output_the_backward_spent_is_refused_inside_a_step_scope_and_kept_outside()
    {
        var (ids, _, batch) = ShardedGradientTests.Batch(seed: 4, Sequences, Length);
        var model = new LlamaModel(s_config);
        float[] Logits() => model.Forward(ids, batch, cache: null).LocalSpan.ToArray();
        var expected = Logits();

        using (var tape = Tape.Start())
        {
            var logits = model.Forward(ids, batch, cache: null);
            tape.Backward(logits);
            Assert.Equal(expected, logits.LocalSpan.ToArray());
        }

        using (StepBuffers.Enter())
        using (var tape = Tape.Start())
        {
            var logits = model.Forward(ids, batch, cache: null);
            tape.Backward(logits);
            var error = Assert.Throws<InvalidOperationException>(() => logits.LocalSpan.ToArray());
            Assert.Contains("or by a backward inside a step scope once no op needed it (read op outputs before the backward)", error.Message);
        }
        model.Parameters().ZeroGrad();
    }

    // Per rank: the pool after a forward on the tape, and after its backward too, from a fresh pool (a new thread).
    private static (long Forward, long Step)[] PooledBytes(LlamaModel dense, int tp)
    {
        var (ids, targets, batch) = ShardedGradientTests.Batch(seed: 9, Sequences, Length);
        return InProcessWorld.Run(tp, group =>
        {
            var model = new LlamaModel(s_config, sequenceParallel: dense.SequenceParallel);
            model.ShardFrom(dense, group);
            long before = StepBuffers.PooledBytes, forward;
            using (StepBuffers.Enter())
            using (var tape = Tape.Start())
            {
                var loss = model.Loss(ids, targets, batch);
                forward = StepBuffers.PooledBytes - before;
                tape.Backward(loss);
            }
            return (forward, StepBuffers.PooledBytes - before);
        });
    }
}
