using System.Text;
using TpCodegen.Checkpoints;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>The safetensors reader against files built byte by byte, the writer's output, and every malformed input it must name.</summary>
public sealed class SafetensorsCheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tp-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A file laid out by hand from the format's definition, independent of <see cref="SafetensorsWriter"/>.</summary>
    private string HandBuilt(string header, params float[] data)
    {
        string path = Path.Combine(_directory, $"{Guid.NewGuid():N}.safetensors");
        var headerBytes = Encoding.UTF8.GetBytes(header);
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((long)headerBytes.Length));
        file.Write(headerBytes);
        foreach (float value in data) file.Write(BitConverter.GetBytes(value));
        return path;
    }

    private const string TwoTensors =
        """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]},"b":{"dtype":"F32","shape":[4],"data_offsets":[48,64]}}""";

    private static readonly float[] TwoTensorsData = [.. Enumerable.Range(0, 12).Select(i => (float)i), 100, 101, 102, 103];

    [Fact]
    public void Reads_column_blocks_row_blocks_and_a_1d_bias()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(HandBuilt(TwoTensors, TwoTensorsData));

        var columns = new float[3 * 2];
        checkpoint.ReadBlock("w", 3, 4, 0, 3, 2, 2, columns);
        Assert.Equal([2f, 3, 6, 7, 10, 11], columns);

        var rows = new float[1 * 4];
        checkpoint.ReadBlock("w", 3, 4, 1, 1, 0, 4, rows);
        Assert.Equal([4f, 5, 6, 7], rows);

        var bias = new float[2];
        checkpoint.ReadBlock("b", 1, 4, 0, 1, 1, 2, bias);
        Assert.Equal([101f, 102], bias);
        Assert.Equal(["b", "w"], checkpoint.TensorNames);
        Assert.True(checkpoint.Contains("w"));
        Assert.False(checkpoint.Contains("__metadata__"));
    }

    [Fact]
    public void The_writer_aligns_the_data_and_round_trips_through_the_reader()
    {
        string path = Path.Combine(_directory, "layer.safetensors");
        var layer = new Linear(5, 3, seed: 4);
        SafetensorsWriter.Write(path, SafetensorsWriter.LinearTensors("blocks.0.", "Down", layer));

        long headerLength = BitConverter.ToInt64(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0, (8 + headerLength) % 8);
        using var checkpoint = SafetensorsCheckpoint.Open(path);
        var weight = new float[15];
        checkpoint.ReadBlock("blocks.0.Down.weight", 5, 3, 0, 5, 0, 3, weight);
        Assert.Equal(layer.Weight, weight);
        var bias = new float[3];
        checkpoint.ReadBlock("blocks.0.Down.bias", 1, 3, 0, 1, 0, 3, bias);
        Assert.Equal(layer.Bias, bias);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(_directory, "absent.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains($"Checkpoint '{path}' does not exist", error.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named_with_the_ones_the_file_has()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(HandBuilt(TwoTensors, TwoTensorsData));
        var error = Assert.Throws<KeyNotFoundException>(() => checkpoint.ReadBlock("Gate.weight", 3, 4, 0, 3, 0, 4, new float[12]));
        Assert.Contains("has no tensor 'Gate.weight'; it has 2: b, w.", error.Message);
    }

    [Fact]
    public void A_tensor_of_another_shape_is_refused_with_both_shapes()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(HandBuilt(TwoTensors, TwoTensorsData));
        var error = Assert.Throws<InvalidDataException>(() => checkpoint.ReadBlock("w", 4, 3, 0, 4, 0, 3, new float[12]));
        Assert.Contains("Tensor 'w' in checkpoint", error.Message);
        Assert.Contains("is [3, 4], but the layer expects [4, 3]", error.Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}""", "is BF16; this runtime reads F32 tensors only")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", "is [2, 2] F32 (16 bytes) but its data_offsets span 12 bytes")]
    [InlineData("""{"w":{"dtype":"F32","shape":[64],"data_offsets":[0,256]}}""", "has data_offsets [0, 256] outside the 16-byte data section")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4]}}""", "lacks a valid dtype, shape or data_offsets")]
    [InlineData("""{"w": [1, 2""", "the header is not valid JSON")]
    public void A_malformed_header_is_reported_with_the_file_and_the_fault(string header, string expected)
    {
        string path = HandBuilt(header, 1, 2, 3, 4);
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains(expected, error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_file_that_is_not_safetensors_is_refused()
    {
        string path = Path.Combine(_directory, "notes.txt");
        File.WriteAllText(path, "these are not weights, just some text");
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("not a safetensors file", error.Message);
    }
}
