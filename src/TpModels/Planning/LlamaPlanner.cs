using System.Globalization;

namespace TpCodegen.Models.Planning;

/// <summary>Plans a Llama-family decoder (Llama, Mistral, Qwen2) the way <see cref="LlamaModel"/> splits it.</summary>
internal static class LlamaPlanner
{
    public static ModelPlan Plan(LlamaConfig c, int tp, int tokens, PlanHardware hardware)
    {
        ArgumentNullException.ThrowIfNull(c);
        c.Validate();
        PlanParts.RequireDegreeAtLeastOne(tp, c.Architecture);
        PlanParts.RequireTokens(tokens, c.MaxPositions, c.Architecture);
        var valid = ModelPlan.ValidDegreesOf(c);
        if (c.Heads % tp != 0)
            throw PlanParts.DegreeError(c.Architecture, "self_attn.q_proj", "query heads", c.Heads, tp, "a head is never cut, so tp must divide the query heads", valid);
        if (c.KvHeads % tp != 0 && tp % c.KvHeads != 0)
            throw PlanParts.DegreeError(c.Architecture, "self_attn.k_proj", "key/value heads", c.KvHeads, tp,
                "tp must divide the key/value heads, or be a multiple of them so that each is replicated", valid);
        if (c.Intermediate % tp != 0)
            throw PlanParts.DegreeError(c.Architecture, "mlp.gate_proj", "intermediate features", c.Intermediate, tp, "tp must divide them", valid);

        int heads = c.Heads / tp;
        bool replicated = tp > c.KvHeads;
        int kvHeads = replicated ? 1 : c.KvHeads / tp;
        int replication = replicated ? tp / c.KvHeads : 1;
        int q = c.Heads * c.HeadDim, kv = c.KvHeads * c.HeadDim;
        var vocabulary = VocabularySplit.Of(c.Vocabulary, tp, 0);
        string kvSplit = replicated
            ? string.Create(CultureInfo.InvariantCulture, $"column, {c.KvHeads} KV heads, each on {replication} ranks")
            : string.Create(CultureInfo.InvariantCulture, $"column, {c.KvHeads} KV heads -> {kvHeads} per rank");
        string qSplit = string.Create(CultureInfo.InvariantCulture, $"column, {c.Heads} heads -> {heads} per rank");

        var layer = new[]
        {
            PlanParts.Norm("input_layernorm", c.Hidden, bias: false),
            PlanParts.Column("self_attn.q_proj", qSplit, c.Hidden, q, heads * c.HeadDim, c.QkvBias),
            PlanParts.Column("self_attn.k_proj", kvSplit, c.Hidden, kv, kvHeads * c.HeadDim, c.QkvBias),
            PlanParts.Column("self_attn.v_proj", kvSplit, c.Hidden, kv, kvHeads * c.HeadDim, c.QkvBias),
            PlanParts.Row("self_attn.o_proj", "row, by heads", q, c.Hidden, heads * c.HeadDim, c.OutputBias),
            PlanParts.Norm("post_attention_layernorm", c.Hidden, bias: false),
            PlanParts.Column("mlp.gate_proj", "column", c.Hidden, c.Intermediate, c.Intermediate / tp, c.MlpBias),
            PlanParts.Column("mlp.up_proj", "column", c.Hidden, c.Intermediate, c.Intermediate / tp, c.MlpBias),
            PlanParts.Row("mlp.down_proj", "row", c.Intermediate, c.Hidden, c.Intermediate / tp, c.MlpBias),
        };
        return new ModelPlan
        {
            Architecture = c.Architecture,
            Degree = tp,
            Tokens = tokens,
            Hidden = c.Hidden,
            Layers = c.Layers,
            Heads = c.Heads,
            KvHeads = c.KvHeads,
            HeadDim = c.HeadDim,
            Intermediate = c.Intermediate,
            HeadsPerRank = heads,
            KvHeadsPerRank = kvHeads,
            KvReplication = replication,
            Vocabulary = vocabulary,
            TiedHead = c.TieEmbeddings,
            ValidDegrees = valid,
            Sections =
            [
                new PlannedSection("embedding", 1, LastTokenOnly: false, [PlanParts.VocabEmbedding("model.embed_tokens", vocabulary, c.Hidden)]),
                new PlannedSection("model.layers.N", c.Layers, LastTokenOnly: false, layer),
                new PlannedSection("final", 1, LastTokenOnly: true,
                [
                    PlanParts.Norm("model.norm", c.Hidden, bias: false),
                    PlanParts.VocabHead("lm_head", vocabulary, c.Hidden, c.TieEmbeddings ? "model.embed_tokens" : null),
                ]),
            ],
            Collectives = PlanParts.Collectives(tp, tokens, c.Hidden, c.Layers, "model.embed_tokens", "self_attn.o_proj", "mlp.down_proj"),
            KvCacheBytesPerTokenPerRank = 2L * c.Layers * kvHeads * c.HeadDim * sizeof(float),
            Hardware = hardware,
        };
    }
}
