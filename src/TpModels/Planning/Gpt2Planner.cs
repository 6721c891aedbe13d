using System.Globalization;

namespace TpCodegen.Models.Planning;

/// <summary>Plans a GPT-2 decoder the way <see cref="Gpt2Model"/> splits it: fused q|k|v cut per segment, head tied to <c>wte</c>.</summary>
internal static class Gpt2Planner
{
    private const string Architecture = "GPT2LMHeadModel";

    public static ModelPlan Plan(Gpt2Config c, int tp, int tokens, PlanHardware hardware)
    {
        ArgumentNullException.ThrowIfNull(c);
        c.Validate();
        PlanParts.RequireDegreeAtLeastOne(tp, Architecture);
        PlanParts.RequireTokens(tokens, c.Positions, Architecture);
        var valid = ModelPlan.ValidDegreesOf(c);
        if (c.Heads % tp != 0)
            throw PlanParts.DegreeError(Architecture, "attn.c_attn", "heads", c.Heads, tp, "a head is never cut, so tp must divide the heads", valid);
        if (c.Inner % tp != 0)
            throw PlanParts.DegreeError(Architecture, "mlp.c_fc", "inner features", c.Inner, tp, "tp must divide them", valid);

        int heads = c.Heads / tp;
        var vocabulary = VocabularySplit.Of(c.Vocabulary, tp, 0);
        string qkvSplit = string.Create(CultureInfo.InvariantCulture, $"column per q|k|v, {c.Heads} heads -> {heads} each");
        var layer = new[]
        {
            PlanParts.Norm("ln_1", c.Hidden, bias: true),
            PlanParts.Column("attn.c_attn", qkvSplit, c.Hidden, 3 * c.Hidden, 3 * heads * c.HeadDim, bias: true),
            PlanParts.Row("attn.c_proj", "row, by heads", c.Hidden, c.Hidden, heads * c.HeadDim, bias: true),
            PlanParts.Norm("ln_2", c.Hidden, bias: true),
            PlanParts.Column("mlp.c_fc", "column", c.Hidden, c.Inner, c.Inner / tp, bias: true),
            PlanParts.Row("mlp.c_proj", "row", c.Inner, c.Hidden, c.Inner / tp, bias: true),
        };
        return new ModelPlan
        {
            Architecture = Architecture,
            Degree = tp,
            Tokens = tokens,
            Hidden = c.Hidden,
            Layers = c.Layers,
            Heads = c.Heads,
            KvHeads = c.Heads,
            HeadDim = c.HeadDim,
            Intermediate = c.Inner,
            HeadsPerRank = heads,
            KvHeadsPerRank = heads,
            KvReplication = 1,
            Vocabulary = vocabulary,
            TiedHead = true,
            ValidDegrees = valid,
            Sections =
            [
                new PlannedSection("embedding", 1, LastTokenOnly: false,
                [
                    PlanParts.VocabEmbedding("wte", vocabulary, c.Hidden),
                    PlanParts.ReplicatedTable("wpe", c.Positions, c.Hidden),
                ]),
                new PlannedSection("h.N", c.Layers, LastTokenOnly: false, layer),
                new PlannedSection("final", 1, LastTokenOnly: true,
                [
                    PlanParts.Norm("ln_f", c.Hidden, bias: true),
                    PlanParts.VocabHead("lm_head", vocabulary, c.Hidden, tiedTo: "wte"),
                ]),
            ],
            Collectives = PlanParts.Collectives(tp, tokens, c.Hidden, c.Layers, "wte", "attn.c_proj", "mlp.c_proj"),
            KvCacheBytesPerTokenPerRank = 2L * c.Layers * heads * c.HeadDim * sizeof(float),
            Hardware = hardware,
        };
    }
}
