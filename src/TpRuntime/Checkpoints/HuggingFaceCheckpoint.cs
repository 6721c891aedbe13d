using System.Text.Json;
using TpCodegen.Parallel;

namespace TpCodegen.Checkpoints;

/// <summary>
/// A model directory as users download it from Hugging Face: <c>config.json</c> beside either one
/// <c>model.safetensors</c> or shards listed in <c>model.safetensors.index.json</c>. Tensors are found by name
/// whichever shard holds them; each shard is opened the first time one of its tensors is asked for, once. Blocks
/// read as F32 from F32, BF16 and F16 tensors, so every rank reads only its own slice of each weight.
/// </summary>
/// <remarks>
/// Follows Hugging Face's order: <c>model.safetensors</c> when present, otherwise the index. Reads may run from
/// several threads (ranks) at once; <see cref="BytesRead"/> counts them all.
/// </remarks>
public sealed class HuggingFaceCheckpoint : ICheckpointShardSource, IDisposable
{
    /// <summary>The weights of an unsharded model.</summary>
    public const string SingleFileName = "model.safetensors";

    private const string ConfigFileName = "config.json";

    private readonly HuggingFaceIndex? _index;
    private readonly Dictionary<string, Lazy<SafetensorsCheckpoint>> _files;
    private readonly ReadMeter _meter;
    private readonly string[] _names;

    private HuggingFaceCheckpoint(string directory, HuggingFaceIndex? index, Dictionary<string, Lazy<SafetensorsCheckpoint>> files, ReadMeter meter, string[] names)
    {
        Directory = directory;
        _index = index;
        _files = files;
        _meter = meter;
        _names = names;
    }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

    /// <summary>The directory's <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The directory has no <c>config.json</c>.</exception>
    public string ConfigPath
    {
        get
        {
            string path = Path.Combine(Directory, ConfigFileName);
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"Checkpoint directory '{Directory}' has no {ConfigFileName}; Hugging Face models carry one beside their weights.", path);
        }
    }

    /// <summary>Every tensor the directory holds, in ordinal order.</summary>
    public IReadOnlyList<string> TensorNames => _names;

    /// <summary>Bytes of tensor data read from disk so far, over every file and every thread.</summary>
    public long BytesRead => _meter.BytesRead;

    /// <summary>The bytes of tensor data in the model: the index's <c>total_size</c>, or the sizes of its files.</summary>
    public long TotalBytes => _meter.TotalBytes;

    /// <summary>
    /// Opens <paramref name="directory"/>: reads the index, or the header of <c>model.safetensors</c>; shards of an
    /// index are opened when first read. <paramref name="progress"/>, when given, hears of every block read.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">It holds no weights, or the index names a file it does not hold.</exception>
    /// <exception cref="InvalidDataException">The index or a header is malformed; the message names the file.</exception>
    public static HuggingFaceCheckpoint Open(string directory, IProgress<CheckpointProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Checkpoint directory '{directory}' does not exist.");
        var meter = new ReadMeter(0, progress);
        string single = Path.Combine(directory, SingleFileName);
        if (File.Exists(single))
        {
            var file = SafetensorsCheckpoint.Open(single, SafetensorsLimits.Default, progress: null, meter);
            meter.TotalBytes = file.DataLength;
            var files = new Dictionary<string, Lazy<SafetensorsCheckpoint>>(StringComparer.Ordinal) { [SingleFileName] = new(file) };
            return new HuggingFaceCheckpoint(directory, null, files, meter, [.. file.TensorNames]);
        }
        string indexPath = Path.Combine(directory, SafetensorsWriter.IndexFileName);
        if (!File.Exists(indexPath))
            throw new FileNotFoundException($"Checkpoint directory '{directory}' holds neither {SingleFileName} nor {SafetensorsWriter.IndexFileName}{WhatItHolds(directory)}.", single);

        var index = HuggingFaceIndex.Read(directory, indexPath);
        var shards = index.WeightMap.Values.Distinct(StringComparer.Ordinal).ToList();
        meter.TotalBytes = index.TotalSize ?? shards.Sum(shard => new FileInfo(Path.Combine(directory, shard)).Length);
        var lazyFiles = shards.ToDictionary(
            shard => shard,
            shard => new Lazy<SafetensorsCheckpoint>(() => SafetensorsCheckpoint.Open(Path.Combine(directory, shard), SafetensorsLimits.Default, progress: null, meter)),
            StringComparer.Ordinal);
        return new HuggingFaceCheckpoint(directory, index, lazyFiles, meter, [.. index.WeightMap.Keys.Order(StringComparer.Ordinal)]);
    }

    private static string WhatItHolds(string directory)
    {
        if (File.Exists(Path.Combine(directory, "pytorch_model.bin")) || File.Exists(Path.Combine(directory, "pytorch_model.bin.index.json")))
            return "; it has pytorch_model.bin, a PyTorch pickle this runtime does not read (convert it to safetensors)";
        var other = System.IO.Directory.EnumerateFiles(directory, "*.safetensors").Select(Path.GetFileName).Take(5).ToList();
        return other.Count == 0 ? "" : $"; its .safetensors files are {string.Join(", ", other)}";
    }

    /// <summary>The parsed <c>config.json</c>; the caller disposes it.</summary>
    /// <exception cref="FileNotFoundException">The directory has no <c>config.json</c>.</exception>
    /// <exception cref="InvalidDataException">It is not valid JSON.</exception>
    public JsonDocument ReadConfig() => HuggingFaceIndex.ParseJson(ConfigPath);

    /// <inheritdoc/>
    public bool Contains(string name) => _index is null ? _files[SingleFileName].Value.Contains(name) : _index.WeightMap.ContainsKey(name);

    /// <summary>The dtype, shape, file and size of tensor <paramref name="name"/>.</summary>
    public TensorInfo Describe(string name) => FileOf(name).Describe(name);

    /// <inheritdoc/>
    /// <remarks>Converts BF16 and F16 to F32 as the block is read; reads only the block's bytes.</remarks>
    public void ReadBlock(string name, int rows, int columns, int rowStart, int rowCount, int columnStart, int columnCount, Span<float> destination) =>
        FileOf(name).ReadBlock(name, rows, columns, rowStart, rowCount, columnStart, columnCount, destination);

    /// <summary>A whole F32, BF16 or F16 tensor of any rank, as F32.</summary>
    public float[] ReadFloats(string name) => FileOf(name).ReadFloats(name);

    /// <summary>A whole I64 tensor.</summary>
    public long[] ReadInt64(string name) => FileOf(name).ReadInt64(name);

    /// <summary>The file holding <paramref name="name"/>, opened; errors name the directory, the tensor and, for an index, the shard.</summary>
    private SafetensorsCheckpoint FileOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Contains(name))
            throw new KeyNotFoundException(
                $"Checkpoint directory '{Directory}' has no tensor '{CheckpointText.Quote(name)}'; the closest of its {_names.Length}: {CheckpointText.ClosestNames(name, _names)}.");
        if (_index is null) return _files[SingleFileName].Value;
        string shard = _index.WeightMap[name];
        var file = _files[shard].Value;
        if (!file.Contains(name))
            throw new InvalidDataException(
                $"Index '{_index.Path}' maps tensor '{CheckpointText.Quote(name)}' to '{shard}', but that file does not hold it; the closest of its {file.TensorNames.Count}: {CheckpointText.ClosestNames(name, file.TensorNames)}.");
        return file;
    }

    /// <summary>Closes every file opened so far.</summary>
    public void Dispose()
    {
        foreach (var file in _files.Values)
            if (file.IsValueCreated) file.Value.Dispose();
    }
}
