using System.Globalization;

namespace TpCodegen.Models;

/// <summary>The shape of a GPT-2 decoder (<c>GPT2LMHeadModel</c>), as its Hugging Face <c>config.json</c> states it.</summary>
public sealed record Gpt2Config
{
    public int Vocabulary { get; init; } = 50257;
    public int Hidden { get; init; } = 768;
    public int Heads { get; init; } = 12;
    public int Layers { get; init; } = 12;
    public int Positions { get; init; } = 1024;
    /// <summary>The MLP's width (<c>n_inner</c>; 4 x hidden when absent).</summary>
    public int Inner { get; init; } = 3072;
    public float LayerNormEps { get; init; } = 1e-5f;
    public int[] EosTokens { get; init; } = [50256];

    public int HeadDim => Hidden / Heads;

    public static Gpt2Config Read(string configPath) => From(HfConfig.Read(configPath));

    internal static Gpt2Config From(HfConfig json)
    {
        string activation = json.String("activation_function", "gelu_new") ?? "gelu_new";
        if (activation is not ("gelu_new" or "gelu_pytorch_tanh"))
            throw new NotSupportedException($"Model config '{json.Path}': activation_function '{activation}' is not supported; supported: gelu_new.");
        int hidden = json.Int("n_embd");
        return new Gpt2Config
        {
            Vocabulary = json.Int("vocab_size"),
            Hidden = hidden,
            Heads = json.Int("n_head"),
            Layers = json.Int("n_layer"),
            Positions = json.Int("n_positions", 1024),
            Inner = json.Int("n_inner", 4 * hidden),
            LayerNormEps = (float)json.Double("layer_norm_epsilon", 1e-5),
            EosTokens = json.Ids("eos_token_id"),
        }.Validate(json.Path);
    }

    public Gpt2Config Validate(string source = "config")
    {
        foreach (var (value, name) in new[] { (Vocabulary, "vocab_size"), (Hidden, "n_embd"), (Heads, "n_head"), (Layers, "n_layer"), (Positions, "n_positions"), (Inner, "n_inner") })
            if (value < 1) throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{source}: {name} is {value}; it must be positive."));
        if (Hidden % Heads != 0) throw new InvalidDataException($"{source}: n_embd {Hidden} is not a multiple of n_head {Heads}.");
        return this;
    }
}
