using System.Globalization;
using TpCodegen.Checkpoints;

namespace TpCodegen.Training;

/// <summary>
/// Saves and restores one rank's training state: its parameters as it holds them (shards and replicas), AdamW's two
/// moments per parameter and the step count, in one safetensors file per rank (F32, bit-exact). Each rank writes and
/// reads only its own file, so a resumed run continues with exactly the numbers it stopped with.
/// </summary>
public static class TrainingCheckpoint
{
    private const string Format = "tpcodegen-training-rank/1";

    /// <summary>The file rank <paramref name="rank"/> (of the world) writes in a checkpoint directory.</summary>
    public static string FileName(int rank) => string.Create(CultureInfo.InvariantCulture, $"rank-{rank:D5}.safetensors");

    /// <summary>Writes rank <paramref name="rank"/>'s parameters and optimizer state into <paramref name="directory"/> (created), atomically.</summary>
    public static void Save(string directory, int rank, AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(optimizer);
        Directory.CreateDirectory(directory);
        var tensors = new List<SafetensorsWriter.Tensor>();
        var items = optimizer.Parameters.Items;
        for (int i = 0; i < items.Count; i++)
        {
            var (name, parameter) = items[i];
            long[] shape = [parameter.Value.Length];
            tensors.Add(SafetensorsWriter.Tensor.F32(name, shape, parameter.Value));
            tensors.Add(SafetensorsWriter.Tensor.F32(name + ".exp_avg", shape, optimizer.FirstMoment(i)));
            tensors.Add(SafetensorsWriter.Tensor.F32(name + ".exp_avg_sq", shape, optimizer.SecondMoment(i)));
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = optimizer.Steps.ToString(CultureInfo.InvariantCulture),
            ["parameters"] = items.Count.ToString(CultureInfo.InvariantCulture),
        };
        SafetensorsWriter.Write(Path.Combine(directory, FileName(rank)), tensors, metadata);
    }

    /// <summary>
    /// Restores rank <paramref name="rank"/>'s parameters (committed to their layers), moments and step count from
    /// <paramref name="directory"/>. The model must be built and sharded as the one saved: a missing tensor or another
    /// size fails naming the file and the parameter.
    /// </summary>
    public static void Load(string directory, int rank, AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(optimizer);
        string path = Path.Combine(directory, FileName(rank));
        using var file = SafetensorsCheckpoint.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format || !file.Metadata.TryGetValue("step", out var step))
            throw new InvalidDataException($"{path} is not a training checkpoint of one rank (metadata format '{Format}' with a step).");
        var items = optimizer.Parameters.Items;
        for (int i = 0; i < items.Count; i++)
        {
            var (name, parameter) = items[i];
            Read(file, path, name, parameter.Value);
            Read(file, path, name + ".exp_avg", optimizer.FirstMoment(i));
            Read(file, path, name + ".exp_avg_sq", optimizer.SecondMoment(i));
            parameter.Commit();
        }
        optimizer.RestoreSteps(long.Parse(step, CultureInfo.InvariantCulture));
    }

    private static void Read(SafetensorsCheckpoint file, string path, string name, float[] destination)
    {
        if (!file.Contains(name))
            throw new KeyNotFoundException($"{path} has no tensor '{name}': was it saved from the same model, degree and rank?");
        var values = file.ReadFloats(name);
        if (values.Length != destination.Length)
            throw new InvalidDataException($"{path}: '{name}' holds {values.Length} values, but this rank's parameter has {destination.Length}: was it saved at another degree?");
        values.CopyTo(destination, 0);
    }
}
