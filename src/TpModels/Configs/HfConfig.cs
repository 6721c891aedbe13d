using System.Text.Json;

namespace TpCodegen.Models;

/// <summary>Reads the fields of a Hugging Face <c>config.json</c>, with the defaults transformers applies and errors that name the file and the field.</summary>
internal sealed class HfConfig
{
    private readonly JsonElement _root;

    private HfConfig(string path, JsonElement root)
    {
        Path = path;
        _root = root;
    }

    public string Path { get; }

    public static HfConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No model config at '{path}': a Hugging Face model directory has a config.json.", path);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"Model config '{path}' is not a JSON object.");
            return new HfConfig(path, document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model config '{path}' is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary><c>architectures[0]</c>, or <c>model_type</c> when the list is absent.</summary>
    public string Architecture =>
        _root.TryGetProperty("architectures", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0 && list[0].ValueKind == JsonValueKind.String
            ? list[0].GetString()!
            : String("model_type", null) ?? throw new InvalidDataException($"Model config '{Path}' names no architecture (architectures or model_type).");

    public int Int(string name, int? fallback = null)
    {
        if (_root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)) return number;
            throw new InvalidDataException($"Model config '{Path}': '{name}' is {value.GetRawText()}, not an integer.");
        }
        return fallback ?? throw new InvalidDataException($"Model config '{Path}' has no '{name}'.");
    }

    public double Double(string name, double fallback)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble()
            : throw new InvalidDataException($"Model config '{Path}': '{name}' is {value.GetRawText()}, not a number.");
    }

    public bool Bool(string name, bool fallback)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"Model config '{Path}': '{name}' is {value.GetRawText()}, not true or false."),
        };
    }

    public string? String(string name, string? fallback) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : fallback;

    /// <summary>An id or a list of ids (<c>eos_token_id</c> is either).</summary>
    public int[] Ids(string name)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind == JsonValueKind.Number) return [value.GetInt32()];
        if (value.ValueKind == JsonValueKind.Array) return value.EnumerateArray().Select(v => v.GetInt32()).ToArray();
        throw new InvalidDataException($"Model config '{Path}': '{name}' is {value.GetRawText()}, not an id or a list of ids.");
    }

    public bool TryGetObject(string name, out JsonElement value) =>
        _root.TryGetProperty(name, out value) && value.ValueKind == JsonValueKind.Object;
}
