using System.Text.Json;

namespace TpCodegen.Checkpoints;

/// <summary>
/// <c>model.safetensors.index.json</c>: <c>{"metadata": {"total_size": N}, "weight_map": {"tensor": "file"}}</c>,
/// checked so that every shard it names is a plain file name inside the directory and exists.
/// </summary>
internal sealed record HuggingFaceIndex(string Path, long? TotalSize, Dictionary<string, string> WeightMap)
{
    // Indexes of the largest public models are a few hundred kilobytes, configs a few kilobytes.
    private const long MaxJsonBytes = 64 << 20;

    public static HuggingFaceIndex Read(string directory, string path)
    {
        using var document = ParseJson(path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"Index '{path}' has no \"weight_map\" object mapping tensor names to shard files.");

        long? totalSize = root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("total_size", out var total) && total.ValueKind == JsonValueKind.Number && total.TryGetInt64(out long size) && size >= 0
            ? size : null;

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"Index '{path}' maps tensor '{CheckpointText.Quote(entry.Name)}' to {entry.Value.ValueKind}, not a file name.");
            string file = entry.Value.GetString()!;
            if (file.Length == 0 || file is "." or ".." || file.IndexOfAny(['/', '\\', '\0']) >= 0)
                throw new InvalidDataException(
                    $"Index '{path}' maps tensor '{CheckpointText.Quote(entry.Name)}' to '{CheckpointText.Quote(file)}', which is not a file name in the directory.");
            if (!weightMap.TryAdd(entry.Name, file))
                throw new InvalidDataException($"Index '{path}' lists tensor '{CheckpointText.Quote(entry.Name)}' twice.");
        }
        foreach (var group in weightMap.GroupBy(pair => pair.Value, StringComparer.Ordinal))
        {
            string shard = System.IO.Path.Combine(directory, group.Key);
            if (!File.Exists(shard))
                throw new FileNotFoundException(
                    $"Index '{path}' maps {group.Count()} tensors (e.g. '{CheckpointText.Quote(group.First().Key)}') to '{CheckpointText.Quote(group.Key)}', which is not in '{directory}'.",
                    shard);
        }
        return new HuggingFaceIndex(path, totalSize, weightMap);
    }

    /// <summary>Parses a JSON file of a checkpoint directory (an index, a config), naming the file when it is not JSON.</summary>
    public static JsonDocument ParseJson(string path)
    {
        long length = RegularFile.Length(path, "File");
        if (length is 0 or > MaxJsonBytes)
            throw new InvalidDataException($"'{path}' is {length} bytes long or not a regular file; a checkpoint's JSON files hold 1 to {MaxJsonBytes} bytes.");
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {CheckpointText.Quote(error.Message)}", error);
        }
    }
}
