using TpCodegen.Collectives;
using TpCodegen.Models.Planning;
using TpCodegen.Parallel;

namespace TpCodegen.Models.Tests.Planning;

/// <summary>
/// The whole-model plan against counts worked out by hand for small configs whose sizes are not powers of two: 6 query
/// heads over 2 KV heads of 8 (valid tp 1, 2, 6: 3 fails on the KV heads, 4 on the query heads), a vocabulary of 1001 that
/// 2 and 6 do not divide.
/// </summary>
public class ModelPlanTests
{
    private static LlamaConfig Llama => LlamaConfig.Small(vocabulary: 1001, hidden: 48, intermediate: 96, layers: 3, heads: 6, kvHeads: 2);

    [Fact]
    public void Heads_split_and_kv_heads_replicate_when_tp_exceeds_them()
    {
        var two = ModelPlan.For(Llama, tp: 2, tokens: 5);
        Assert.Equal((3, 1, 1), (two.HeadsPerRank, two.KvHeadsPerRank, two.KvReplication));
        var six = ModelPlan.For(Llama, tp: 6, tokens: 5);
        Assert.Equal((1, 1, 3), (six.HeadsPerRank, six.KvHeadsPerRank, six.KvReplication));
        Assert.Contains("each KV head replicated on 3 ranks", six.ToString());
        Assert.Equal([1, 2, 6], two.ValidDegrees);
    }

    [Fact]
    public void Vocabulary_is_padded_to_a_multiple_of_the_degree()
    {
        var plan = ModelPlan.For(Llama, tp: 6, tokens: 5);
        Assert.Equal((1002, 1, 167), (plan.Vocabulary.Padded, plan.Vocabulary.Padding, plan.Vocabulary.Local));
        Assert.Contains("padded to 1002 (+1), 167 ids per rank", plan.ToString());
        Assert.Equal(0, ModelPlan.For(Llama, tp: 1, tokens: 5).Vocabulary.Padding);
    }

    [Fact]
    public void Parameters_and_bytes_per_rank_match_a_hand_count()
    {
        var plan = ModelPlan.For(Llama, tp: 2, tokens: 5);
        // embedding 501 x 48; per layer: 2 norms of 48, q 48x24, k and v 48x8, o 24x48, gate and up 48x48, down 48x48;
        // final norm 48, head 48 x 501.
        const long layer = 48 + 1152 + 384 + 384 + 1152 + 48 + 2304 + 2304 + 2304;
        Assert.Equal(10_080, layer);
        Assert.Equal(24_048 + 3 * layer + 48 + 24_048, plan.ParametersPerRank);
        Assert.Equal(4 * plan.ParametersPerRank, plan.WeightBytesPerRank);
        // A decode step reads one embedding row, every layer and the whole head shard.
        Assert.Equal(48 * 4 + 3 * layer * 4 + (48 + 24_048) * 4, plan.WeightBytesReadPerTokenPerRank);
        // 2 (K and V) x 3 layers x 1 KV head x 8 x 4 bytes; twice as much at tp 1 (2 KV heads), the same at tp 6 (one replicated head).
        Assert.Equal(192, plan.KvCacheBytesPerTokenPerRank);
        Assert.Equal(384, ModelPlan.For(Llama, 1, 5).KvCacheBytesPerTokenPerRank);
        Assert.Equal(192, ModelPlan.For(Llama, 6, 5).KvCacheBytesPerTokenPerRank);
        Assert.Equal(192 * 5, plan.KvCacheBytesReadPerTokenPerRank);
    }

    [Fact]
    public void A_tied_head_stores_nothing_of_its_own_but_is_read_every_token()
    {
        var untied = ModelPlan.For(Llama, tp: 2, tokens: 5);
        var tied = ModelPlan.For(Llama with { TieEmbeddings = true }, tp: 2, tokens: 5);
        Assert.Equal(untied.ParametersPerRank - 48 * 501, tied.ParametersPerRank);
        Assert.Equal(untied.WeightBytesReadPerTokenPerRank, tied.WeightBytesReadPerTokenPerRank);
        Assert.Contains("tied: uses model.embed_tokens's shard", tied.ToString());
    }

    [Fact]
    public void Prefill_flops_count_every_token_but_the_head_only_for_the_last()
    {
        var plan = ModelPlan.For(Llama, tp: 2, tokens: 5);
        // Per token and layer 2 x (48x24 + 48x8 + 48x8 + 24x48 + 3 x 48x48) = 19968; head 2 x 48 x 501 once;
        // causal attention 4 x 3 layers x 3 heads x 8 x (1 + 2 + 3 + 4 + 5).
        Assert.Equal(5 * 3 * 19_968 + 48_096 + 4 * 3 * 3 * 8 * 15, plan.PrefillFlopsPerRank);
        Assert.Equal(3 * 19_968 + 48_096 + 4 * 3 * 3 * 8 * 6, plan.DecodeFlopsPerRank);
    }

    [Fact]
    public void Collectives_are_one_for_the_embedding_two_per_layer_and_one_gather_per_token()
    {
        var plan = ModelPlan.For(Llama, tp: 2, tokens: 5);
        var reduces = plan.Collectives.Where(c => c.Kind == CollectiveKind.AllReduce).ToArray();
        Assert.Equal(1 + 2 * 3, reduces.Sum(c => c.Calls));
        Assert.All(reduces, c => Assert.Equal((5 * 48 * 4, 48 * 4), (c.PrefillBytesPerCall, c.DecodeBytesPerCall)));
        var gather = Assert.Single(plan.Collectives, c => c.Kind == CollectiveKind.AllGather);
        Assert.Equal((1, 8L, 8L), (gather.Calls, gather.PrefillBytesPerCall, gather.DecodeBytesPerCall));
        Assert.Empty(ModelPlan.For(Llama, tp: 1, tokens: 5).Collectives);
    }

    [Fact]
    public void Communication_time_follows_the_ring_formulas()
    {
        var link = new Interconnect("test", BandwidthGBps: 1, LatencyMicroseconds: 10);
        var plan = ModelPlan.For(Llama, tp: 2, tokens: 5, new PlanHardware(link, GflopsPerRank: 2, MemoryGBpsPerRank: 4));
        // 7 all-reduces of 192 B: 2(1)/2 x 192 / 1e9 + 2 x 10 us each; one all-gather of 8 B: 8 / 1e9 + 10 us.
        double expected = 7 * (192 / 1e9 + 20e-6) + (8 / 1e9 + 10e-6);
        Assert.Equal(expected, plan.DecodeCommunicationSeconds, 12);
        Assert.Equal(plan.PrefillFlopsPerRank / 2e9, plan.PrefillComputeSeconds, 12);
        Assert.Equal((plan.WeightBytesReadPerTokenPerRank + plan.KvCacheBytesReadPerTokenPerRank) / 4e9, plan.DecodeComputeSeconds, 12);
        // Four ranks: 2(3)/4 of the bytes and 6 latencies per all-reduce.
        Assert.Equal(1.5 * 1000 / 1e9 + 6 * 10e-6, link.AllReduceSeconds(1000, 4), 12);
    }

    [Fact]
    public void A_degree_that_does_not_divide_the_query_heads_names_the_valid_degrees()
    {
        var error = Assert.Throws<TensorParallelDegreeException>(() => ModelPlan.For(Llama, tp: 4, tokens: 5));
        Assert.Equal([1, 2, 6], error.ValidDegrees);
        Assert.Contains("self_attn.q_proj has 6 query heads", error.Message);
        Assert.Contains("valid tp for this model: 1, 2, 6", error.Message);
        var kv = Assert.Throws<TensorParallelDegreeException>(() => ModelPlan.For(Llama, tp: 3, tokens: 5));
        Assert.Contains("2 key/value heads", kv.Message);
    }

    [Fact]
    public void Gpt2_cuts_the_fused_qkv_per_segment_and_ties_the_head()
    {
        var config = new Gpt2Config { Vocabulary = 50, Hidden = 12, Heads = 3, Layers = 2, Positions = 16, Inner = 48 };
        var plan = ModelPlan.For(config, tp: 3, tokens: 4);
        // wte 17 x 12 (50 padded to 51), wpe 16 x 12; per layer: ln_1 and ln_2 24 each, c_attn 12x12 + 12, attn c_proj
        // 4x12 + 12, c_fc 12x16 + 16, mlp c_proj 16x12 + 12; ln_f 24; the tied head nothing.
        Assert.Equal(204 + 192 + 2 * (24 + 156 + 60 + 24 + 208 + 204) + 24, plan.ParametersPerRank);
        Assert.Equal((1, 1, 1), (plan.HeadsPerRank, plan.KvHeadsPerRank, plan.Vocabulary.Padding));
        Assert.Equal("[12 -> 12]", plan.Sections[1].Parts.Single(p => p.Name == "attn.c_attn").Local);
        var error = Assert.Throws<TensorParallelDegreeException>(() => ModelPlan.For(config, tp: 2, tokens: 4));
        Assert.Contains("valid tp for this model: 1, 3", error.Message);
    }

    [Fact]
    public void Unknown_interconnect_lists_the_presets()
    {
        var error = Assert.Throws<ArgumentException>(() => Interconnect.Named("carrier-pigeon"));
        Assert.Contains("nvlink4, pcie4, infiniband-hdr, ethernet-100g, shared-memory", error.Message);
        Assert.Same(Interconnect.NvLink4, Interconnect.Named("NVLink4"));
    }
}
