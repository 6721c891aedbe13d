using TpCodegen.Checkpoints;
using TpCodegen.Parallel;

namespace TpCodegen.Models;

/// <summary>
/// Where a GPT-2 Hugging Face checkpoint stores each member of <see cref="Gpt2Model"/>: <c>c_attn</c>, <c>c_proj</c>,
/// <c>c_fc</c>, stored <c>[in, out]</c> (<c>Conv1D</c>, no transpose), under <c>h.N.</c> or, in some exports,
/// <c>transformer.h.N.</c>; the causal-mask buffers some exports carry (<c>attn.bias</c>, <c>attn.masked_bias</c>) are not weights and are never read.
/// </summary>
internal sealed class Gpt2Names(string root)
{
    private static readonly Dictionary<string, string> Members = new(StringComparer.Ordinal)
    {
        ["attn.Qkv"] = "attn.c_attn", ["attn.Out"] = "attn.c_proj", ["mlp.Fc"] = "mlp.c_fc", ["mlp.Proj"] = "mlp.c_proj",
    };

    /// <summary>"" or "transformer.", whichever the checkpoint uses.</summary>
    public string Root { get; } = root;

    public static Gpt2Names For(ICheckpointShardSource checkpoint) =>
        new(checkpoint.Contains("wte.weight") || !checkpoint.Contains("transformer.wte.weight") ? "" : "transformer.");

    public string Layer(int index) => $"{Root}h.{index}.";

    public MappedCheckpoint View(ICheckpointShardSource source) => new(source, name =>
    {
        foreach (var (member, stored) in Members)
        {
            int at = name.IndexOf("." + member + ".", StringComparison.Ordinal);
            if (at >= 0) return new StoredTensor(string.Concat(name.AsSpan(0, at + 1), stored, name.AsSpan(at + 1 + member.Length)), Transposed: false);
        }
        return null;
    });
}
