using System.Globalization;
using TpCodegen.Collectives;
using TpCodegen.Parallel;

namespace TpCodegen.Models.Planning;

/// <summary>The parts every decoder is made of, planned the way the runtime splits them; shared by the Llama and GPT-2 planners.</summary>
internal static class PlanParts
{
    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A column-parallel linear layer: each rank holds <paramref name="localOut"/> of the outputs, and their bias.</summary>
    public static PlannedPart Column(string name, string split, int inFeatures, int outFeatures, int localOut, bool bias) =>
        Linear(name, split, inFeatures, outFeatures, inFeatures, localOut, (long)inFeatures * localOut + (bias ? localOut : 0));

    /// <summary>A row-parallel linear layer: each rank holds <paramref name="localIn"/> of the inputs and the whole bias (added once, after the reduce).</summary>
    public static PlannedPart Row(string name, string split, int inFeatures, int outFeatures, int localIn, bool bias) =>
        Linear(name, split, inFeatures, outFeatures, localIn, outFeatures, (long)localIn * outFeatures + (bias ? outFeatures : 0));

    private static PlannedPart Linear(string name, string split, int inFeatures, int outFeatures, int localIn, int localOut, long parameters) =>
        new(name, split, $"[{N(inFeatures)} -> {N(outFeatures)}]", $"[{N(localIn)} -> {N(localOut)}]", parameters,
            parameters * sizeof(float), 2L * localIn * localOut);

    /// <summary>A norm, replicated on every rank; its FLOPs are negligible beside the GEMMs and not counted.</summary>
    public static PlannedPart Norm(string name, int hidden, bool bias)
    {
        long parameters = bias ? 2L * hidden : hidden;
        return new(name, "replicated", $"[{N(hidden)}]", $"[{N(hidden)}]", parameters, parameters * sizeof(float), 0, bias ? "weight + bias" : "");
    }

    /// <summary>A token embedding split by vocabulary rows: a token reads one row (on the rank that owns its id).</summary>
    public static PlannedPart VocabEmbedding(string name, VocabularySplit vocabulary, int hidden) =>
        new(name, "vocab rows", $"[{N(vocabulary.Vocabulary)}, {N(hidden)}]", $"[{N(vocabulary.Local)}, {N(hidden)}]",
            (long)vocabulary.Local * hidden, (long)hidden * sizeof(float), 0, PaddingNote(vocabulary));

    /// <summary>A table every rank holds whole (GPT-2's learned positions): a token reads one row.</summary>
    public static PlannedPart ReplicatedTable(string name, int rows, int hidden) =>
        new(name, "replicated", $"[{N(rows)}, {N(hidden)}]", $"[{N(rows)}, {N(hidden)}]", (long)rows * hidden, (long)hidden * sizeof(float), 0);

    /// <summary>The LM head split by vocabulary (columns), or tied: then it stores nothing of its own and reads the embedding's shard.</summary>
    public static PlannedPart VocabHead(string name, VocabularySplit vocabulary, int hidden, string? tiedTo)
    {
        long shard = (long)hidden * vocabulary.Local;
        string local = $"[{N(hidden)} -> {N(vocabulary.Local)}]";
        string dense = $"[{N(hidden)} -> {N(vocabulary.Vocabulary)}]";
        return tiedTo is null
            ? new(name, "column, vocab", dense, local, shard, shard * sizeof(float), 2 * shard, PaddingNote(vocabulary))
            : new(name, "column, vocab (tied)", dense, local, 0, shard * sizeof(float), 2 * shard, $"tied: uses {tiedTo}'s shard");
    }

    private static string PaddingNote(VocabularySplit vocabulary) => vocabulary.Padding == 0
        ? $"{N(vocabulary.Local)} ids per rank"
        : $"padded to {N(vocabulary.Padded)} (+{N(vocabulary.Padding)}), {N(vocabulary.Local)} ids per rank";

    /// <summary>
    /// The collectives of one forward at degree <paramref name="tp"/>: one all-reduce of the embedding, two all-reduces per
    /// layer (both of <c>[tokens, hidden]</c>), and the all-gather of (max, id) that chooses each sequence's next token. None at tp 1.
    /// </summary>
    public static IReadOnlyList<ModelCollective> Collectives(int tp, int tokens, int hidden, int layers, string embedding, string attentionOut, string mlpOut)
    {
        if (tp == 1) return [];
        long prefill = (long)tokens * hidden * sizeof(float), decode = (long)hidden * sizeof(float);
        const long maxAndId = 2 * sizeof(float); // a (value, id) pair per token, the id carried in a float's bits
        return
        [
            new($"{embedding} (vocab rows)", CollectiveKind.AllReduce, 1, prefill, decode),
            new($"{attentionOut} (each layer)", CollectiveKind.AllReduce, layers, prefill, decode),
            new($"{mlpOut} (each layer)", CollectiveKind.AllReduce, layers, prefill, decode),
            new("next token (max, id)", CollectiveKind.AllGather, 1, maxAndId, maxAndId),
        ];
    }

    public static void RequireTokens(int tokens, int maxPositions, string architecture)
    {
        if (tokens < 1 || tokens > maxPositions)
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"{architecture}: a plan needs between 1 and {maxPositions} tokens (the model's positions).");
    }

    public static void RequireDegreeAtLeastOne(int tp, string architecture)
    {
        if (tp < 1) throw new ArgumentOutOfRangeException(nameof(tp), tp, $"{architecture}: the tensor-parallel degree must be at least 1.");
    }

    /// <summary>The error for a degree that cannot split <paramref name="dimension"/>: the layer, the counts, the rule and every valid degree of the model.</summary>
    public static TensorParallelDegreeException DegreeError(string architecture, string layer, string dimension, int size, int tp, string rule, IReadOnlyList<int> valid) =>
        new(layer, Split.Column, dimension, size, tp, valid, string.Create(CultureInfo.InvariantCulture,
            $"{architecture} at tp={tp}: {layer} has {size} {dimension}, which tp={tp} cannot split ({rule}); valid tp for this model: {string.Join(", ", valid)}."));
}
