using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests.WholeModels;

/// <summary>
/// A steady-state decode step inside a <see cref="StepBuffers"/> scope allocates nothing: activations, moves and the
/// value objects over them come from the rank's pool, the KV cache is written in place. Counted per rank (thread) with
/// the runtime's own allocation counter, dense and sharded, for every model family.
/// </summary>
public class DecodeAllocationTests
{
    private const int Prompt = 6;

    public static TheoryData<string, int> Cases => new()
    {
        { "llama", 1 }, { "llama", 2 }, { "llama-fused", 2 }, { "llama-gqa-replicated", 4 }, { "gpt2", 1 }, { "gpt2", 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_warm_decode_step_allocates_nothing(string family, int tp)
    {
        var allocated = InProcessWorld.Run(tp, group =>
        {
            var model = Build(family, group);
            var cache = model.CreateCache(slots: 1, capacity: Prompt + 64);
            using (StepBuffers.Enter())
                model.Forward(Enumerable.Range(3, Prompt).ToArray(), SequenceBatch.Prefill(Prompt), cache, LogitRows.LastOfEachSequence);
            int[] id = [7];
            long worst = 0;
            for (int step = 0; step < 40; step++)
            {
                var batch = SequenceBatch.Decode([0], [Prompt + step]);
                using var buffers = StepBuffers.Enter();
                long before = GC.GetAllocatedBytesForCurrentThread();
                var logits = model.Forward(id, batch, cache, LogitRows.LastOfEachSequence);
                long after = GC.GetAllocatedBytesForCurrentThread();
                // The first steps fill the pool and run the JIT's first tiers; from then on every step is the same.
                if (step >= 20) worst = Math.Max(worst, after - before);
                id[0] = VocabParallel.Argmax(logits)[0];
            }
            return worst;
        });

        Assert.All(allocated, bytes => Assert.Equal(0, bytes));
    }

    private static ICausalLanguageModel Build(string family, ProcessGroup group)
    {
        switch (family)
        {
            case "gpt2":
            {
                var config = new Gpt2Config { Vocabulary = 50, Hidden = 12, Heads = 3, Layers = 2, Positions = 128, Inner = 48 };
                var model = new Gpt2Model(config);
                model.ShardFrom(new Gpt2Model(config), group);
                return model;
            }
            default:
            {
                // 4 query heads over 2 KV heads: at tp = 4 each KV head is replicated on two ranks.
                var config = LlamaConfig.Small(vocabulary: 53, hidden: 24, intermediate: 40, layers: 2, heads: 4, kvHeads: 2);
                bool fused = family == "llama-fused";
                var model = new LlamaModel(config, fused);
                model.ShardFrom(new LlamaModel(config, fused), group);
                return model;
            }
        }
    }
}
