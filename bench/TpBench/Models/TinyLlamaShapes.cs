using TpCodegen.Models;

namespace TpCodegen.Bench.Models;

/// <summary>The whole-model benchmarks' model: 4 layers with TinyLlama-1.1B's layer shapes.</summary>
internal static class TinyLlamaShapes
{
    public static LlamaConfig Config { get; } = new()
    {
        Architecture = "LlamaForCausalLM", Vocabulary = 32000, Hidden = 2048, Intermediate = 5632, Layers = 4,
        Heads = 32, KvHeads = 4, HeadDim = 64, MaxPositions = 2048, RmsNormEps = 1e-5f,
    };

    /// <summary>A fixed prompt of <paramref name="length"/> ids.</summary>
    public static int[] Prompt(int length) => Enumerable.Range(0, length).Select(i => (i * 7919 + 13) % Config.Vocabulary).ToArray();

    /// <summary>Bytes of weights one rank reads per decode step: every linear shard, its embedding rows' head share, norms.</summary>
    public static long WeightBytesPerStep(int tp)
    {
        var c = Config;
        long linear = (long)c.Hidden * (c.Heads * c.HeadDim) / tp                      // q
            + 2L * c.Hidden * c.HeadDim * Math.Max(1, c.KvHeads / tp)                // k, v (a replicated head is still read)
            + (long)c.Heads * c.HeadDim * c.Hidden / tp                              // o
            + 3L * c.Hidden * c.Intermediate / tp;                                   // gate, up, down
        long head = (long)c.Hidden * ((c.Vocabulary + tp - 1) / tp);                 // the untied head's vocabulary shard
        return (c.Layers * linear + head + (2L * c.Layers + 1) * c.Hidden) * sizeof(float);
    }

    /// <summary>Bytes of keys and values one rank reads per decode step with <paramref name="cached"/> positions.</summary>
    public static long CacheBytesPerStep(int tp, int cached) =>
        2L * Config.Layers * cached * Math.Max(1, Config.KvHeads / tp) * Config.HeadDim * sizeof(float);
}
