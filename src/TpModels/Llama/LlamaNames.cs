using TpCodegen.Checkpoints;

namespace TpCodegen.Models;

/// <summary>
/// Where a Llama-family Hugging Face checkpoint stores each member of <see cref="LlamaModel"/>: the member names of the
/// attention and MLP modules map to <c>q_proj</c>, ..., <c>down_proj</c>, every linear weight stored <c>[out, in]</c>
/// (<c>nn.Linear</c>); a fused member's segments map to the separate tensors they are loaded from.
/// </summary>
internal static class LlamaNames
{
    private static readonly Dictionary<string, string> Members = new(StringComparer.Ordinal)
    {
        ["Q"] = "q_proj", ["K"] = "k_proj", ["V"] = "v_proj", ["O"] = "o_proj",
        ["Gate"] = "gate_proj", ["Up"] = "up_proj", ["Down"] = "down_proj",
        ["Qkv.q"] = "q_proj", ["Qkv.k"] = "k_proj", ["Qkv.v"] = "v_proj",
        ["GateUp.gate"] = "gate_proj", ["GateUp.up"] = "up_proj",
    };

    public const string Embedding = "model.embed_tokens.weight";
    public const string Head = "lm_head.weight";
    public const string FinalNorm = "model.norm.";

    public static string Layer(int index) => $"model.layers.{index}.";

    public static string Attention(int index) => Layer(index) + "self_attn.";

    public static string Mlp(int index) => Layer(index) + "mlp.";

    public static MappedCheckpoint View(Parallel.ICheckpointShardSource source) => new(source, Map);

    // "model.layers.0.self_attn.Q.weight" -> "model.layers.0.self_attn.q_proj.weight", transposed ([out, in] on disk).
    private static StoredTensor? Map(string name)
    {
        int dot = name.LastIndexOf('.');
        if (dot < 0) return null;
        string suffix = name[(dot + 1)..];
        if (suffix is not ("weight" or "bias")) return null;
        string stem = name[..dot];
        foreach (int segments in (ReadOnlySpan<int>)[2, 1])
        {
            int start = StartOfLast(stem, segments);
            if (start < 0 || !Members.TryGetValue(stem[start..], out var stored)) continue;
            return new StoredTensor($"{stem[..start]}{stored}.{suffix}", Transposed: suffix == "weight");
        }
        return null;
    }

    private static int StartOfLast(string stem, int segments)
    {
        int at = stem.Length;
        for (int i = 0; i < segments; i++)
        {
            if (at <= 0) return -1;
            at = stem.LastIndexOf('.', at - 1);
            if (at < 0) return i == segments - 1 ? 0 : -1;
        }
        return at + 1;
    }
}
