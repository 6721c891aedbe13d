using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models.Planning;

namespace TpCodegen.Models.Tests.Planning;

/// <summary>The plan's collectives are the ones a sharded forward and its token choice really run, counted by the group.</summary>
public class PlanMatchesRuntimeTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    public void Planned_collectives_equal_the_counted_ones(int tp)
    {
        var config = LlamaConfig.Small(vocabulary: 1001, hidden: 48, intermediate: 96, layers: 3, heads: 6, kvHeads: 2);
        var plan = ModelPlan.For(config, tp, tokens: 5);
        var dense = new LlamaModel(config);
        var counted = new (long Calls, long Bytes)[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var model = new LlamaModel(config);
            model.ShardFrom(dense, group);
            group.Counters.Reset();
            var logits = model.Forward([3, 1, 4, 1, 5], SequenceBatch.Prefill(5), cache: null, LogitRows.LastOfEachSequence);
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
