using System.Globalization;
using System.Text.Json;

namespace TpCodegen.Models;

/// <summary>
/// The shape of a Llama-family decoder (<c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>, <c>Qwen2ForCausalLM</c>), as
/// its Hugging Face <c>config.json</c> states it, with transformers' defaults for absent fields.
/// </summary>
public sealed record LlamaConfig
{
    public string Architecture { get; init; } = "LlamaForCausalLM";
    public int Vocabulary { get; init; }
    public int Hidden { get; init; }
    public int Intermediate { get; init; }
    public int Layers { get; init; }
    public int Heads { get; init; }
    public int KvHeads { get; init; }
    public int HeadDim { get; init; }
    public float RmsNormEps { get; init; } = 1e-6f;
    public double RopeTheta { get; init; } = 10000;
    public Llama3RopeScaling? RopeScaling { get; init; }
    public int MaxPositions { get; init; } = 2048;
    public bool TieEmbeddings { get; init; }
    /// <summary>Biases on q, k, v (Qwen2; Llama's <c>attention_bias</c>).</summary>
    public bool QkvBias { get; init; }
    /// <summary>A bias on o (Llama's <c>attention_bias</c>; never in Qwen2).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    /// <summary>Mistral's sliding window; 0 for full attention.</summary>
    public int SlidingWindow { get; init; }
    public int? BosToken { get; init; }
    public int[] EosTokens { get; init; } = [];

    /// <summary>A small Llama for samples and tests (GQA, untied head), every size a parameter.</summary>
    public static LlamaConfig Small(int vocabulary = 1000, int hidden = 128, int intermediate = 352, int layers = 2, int heads = 8, int kvHeads = 2) => new()
    {
        Vocabulary = vocabulary, Hidden = hidden, Intermediate = intermediate, Layers = layers, Heads = heads, KvHeads = kvHeads,
        HeadDim = hidden / heads, MaxPositions = 512, RopeTheta = 10000, BosToken = 1, EosTokens = [2],
    };

    /// <summary>Reads <paramref name="configPath"/> (a model directory's <c>config.json</c>).</summary>
    public static LlamaConfig Read(string configPath) => From(HfConfig.Read(configPath));

    internal static LlamaConfig From(HfConfig json)
    {
        string architecture = json.Architecture;
        bool qwen = architecture.StartsWith("Qwen2", StringComparison.Ordinal) || json.String("model_type", "") == "qwen2";
        int hidden = json.Int("hidden_size"), heads = json.Int("num_attention_heads");
        bool attentionBias = json.Bool("attention_bias", false);
        var config = new LlamaConfig
        {
            Architecture = architecture,
            Vocabulary = json.Int("vocab_size"),
            Hidden = hidden,
            Intermediate = json.Int("intermediate_size"),
            Layers = json.Int("num_hidden_layers"),
            Heads = heads,
            KvHeads = json.Int("num_key_value_heads", heads),
            HeadDim = json.Int("head_dim", heads > 0 ? hidden / heads : 0),
            RmsNormEps = (float)json.Double("rms_norm_eps", 1e-6),
            RopeTheta = json.Double("rope_theta", 10000),
            RopeScaling = ReadRopeScaling(json),
            MaxPositions = json.Int("max_position_embeddings", 2048),
            TieEmbeddings = json.Bool("tie_word_embeddings", false),
            QkvBias = qwen || attentionBias,
            OutputBias = !qwen && attentionBias,
            MlpBias = json.Bool("mlp_bias", false),
            SlidingWindow = json.Bool("use_sliding_window", !qwen) ? json.Int("sliding_window", 0) : 0,
            BosToken = json.Ids("bos_token_id") is [int bos, ..] ? bos : null,
            EosTokens = json.Ids("eos_token_id"),
        };
        return config.Validate(json.Path);
    }

    private static Llama3RopeScaling? ReadRopeScaling(HfConfig json)
    {
        if (!json.TryGetObject("rope_scaling", out var scaling)) return null;
        string type = scaling.TryGetProperty("rope_type", out var t) || scaling.TryGetProperty("type", out t) ? t.GetString() ?? "" : "";
        if (type != "llama3")
            throw new NotSupportedException($"Model config '{json.Path}': rope_scaling of type '{type}' is not supported; supported: llama3 (or none).");
        double Field(string name) => scaling.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : throw new InvalidDataException($"Model config '{json.Path}': rope_scaling has no number '{name}'.");
        return new Llama3RopeScaling(Field("factor"), Field("low_freq_factor"), Field("high_freq_factor"), (int)Field("original_max_position_embeddings"));
    }

    /// <summary>True when a model built from <paramref name="other"/> has the same parameters (shapes, biases, tying).</summary>
    public bool SameShape(LlamaConfig other) =>
        (Vocabulary, Hidden, Intermediate, Layers, Heads, KvHeads, HeadDim, TieEmbeddings, QkvBias, OutputBias, MlpBias) ==
        (other.Vocabulary, other.Hidden, other.Intermediate, other.Layers, other.Heads, other.KvHeads, other.HeadDim, other.TieEmbeddings, other.QkvBias, other.OutputBias, other.MlpBias);

    /// <summary>Checks that the sizes make a decoder; names the field that does not.</summary>
    public LlamaConfig Validate(string source = "config")
    {
        void Positive(int value, string name)
        {
            if (value < 1) throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{source}: {name} is {value}; it must be positive."));
        }
        Positive(Vocabulary, "vocab_size");
        Positive(Hidden, "hidden_size");
        Positive(Intermediate, "intermediate_size");
        Positive(Layers, "num_hidden_layers");
        Positive(Heads, "num_attention_heads");
        Positive(KvHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        if (Heads % KvHeads != 0)
            throw new InvalidDataException($"{source}: {Heads} attention heads are not a multiple of {KvHeads} key/value heads.");
        if (HeadDim % 2 != 0) throw new InvalidDataException($"{source}: head_dim {HeadDim} is odd; rotary embeddings need it even.");
        return this;
    }
}
