using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models.Planning;

namespace TpCodegen.Models.Tests.Planning;

/// <summary>The plan's collectives are the ones a sharded forward and its token choice really run, counted by the group.</summary>
public class PlanMatchesRuntimeTests
{
    private static readonly int[] Prompt = [3, 1, 4, 1, 5];

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    public void Llama_collectives_equal_the_counted_ones(int tp)
    {
        var config = LlamaConfig.Small(vocabulary: 1001, hidden: 48, intermediate: 96, layers: 3, heads: 6, kvHeads: 2);
        var dense = new LlamaModel(config);
        AssertCountsMatch(ModelPlan.For(config, tp, Prompt.Length), tp, group =>
        {
            var model = new LlamaModel(config);
            model.ShardFrom(dense, group);
            return model;
        });
    }

    [Fact]
    public void Gpt2_collectives_equal_the_counted_ones()
    {
        var config = new Gpt2Config { Vocabulary = 50, Hidden = 12, Heads = 3, Layers = 2, Positions = 16, Inner = 48 };
        var dense = new Gpt2Model(config);
        AssertCountsMatch(ModelPlan.For(config, 3, Prompt.Length), 3, group =>
        {
            var model = new Gpt2Model(config);
            model.ShardFrom(dense, group);
            return model;
        });
    }

    private static void AssertCountsMatch(ModelPlan plan, int tp, Func<ProcessGroup, ICausalLanguageModel> shard)
    {
        var counted = new (long Calls, long Bytes)[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var model = shard(group);
            group.Counters.Reset();
            var logits = model.Forward(Prompt, SequenceBatch.Prefill(Prompt.Length), cache: null, LogitRows.LastOfEachSequence);
            VocabParallel.Argmax(logits);
            counted[group.Rank] = [Count(group, CollectiveKind.AllReduce), Count(group, CollectiveKind.AllGather)];
        });
        (long, long) Planned(CollectiveKind kind) => (
            plan.Collectives.Where(c => c.Kind == kind).Sum(c => (long)c.Calls),
            plan.Collectives.Where(c => c.Kind == kind).Sum(c => c.Calls * c.PrefillBytesPerCall));
        Assert.All(counted, rank => Assert.Equal([Planned(CollectiveKind.AllReduce), Planned(CollectiveKind.AllGather)], rank));
    }

    private static (long, long) Count(ProcessGroup group, CollectiveKind kind) => (group.Counters.Calls(kind), group.Counters.Bytes(kind));
}
