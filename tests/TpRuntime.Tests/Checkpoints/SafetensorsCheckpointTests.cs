using System.Runtime.InteropServices;
using System.Text;
using TpCodegen.Checkpoints;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>The safetensors reader against files built byte by byte, the writer's output, and the misuse it must name.</summary>
public sealed class SafetensorsCheckpointTests : CheckpointFiles
{
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
        Assert.Equal("pt", checkpoint.Metadata["format"]);
        // 6 + 4 + 2 floats of 4 bytes: only the blocks' bytes were read.
        Assert.Equal(48, checkpoint.BytesRead);
    }

    [Fact]
    public void The_writer_aligns_the_data_and_round_trips_through_the_reader()
    {
        string path = Path.Combine(Root, "layer.safetensors");
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
        string path = Path.Combine(Root, "absent.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains($"Checkpoint '{path}' does not exist", error.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named_with_the_closest_ones_the_file_has()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(HandBuilt(TwoTensors, TwoTensorsData));
        var error = Assert.Throws<KeyNotFoundException>(() => checkpoint.ReadBlock("ww", 3, 4, 0, 3, 0, 4, new float[12]));
        Assert.Contains("has no tensor 'ww'; the closest of its 2: w, b.", error.Message);
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
    [InlineData(int.MaxValue, 2, 0, 4)]
    [InlineData(2, int.MaxValue, 0, 4)]
    [InlineData(0, 3, int.MaxValue, 1)]
    [InlineData(-1, 1, 0, 4)]
    public void A_block_past_the_tensor_is_refused_even_when_its_end_overflows_int(int rowStart, int rowCount, int columnStart, int columnCount)
    {
        using var checkpoint = SafetensorsCheckpoint.Open(HandBuilt(TwoTensors, TwoTensorsData));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            checkpoint.ReadBlock("w", 3, 4, rowStart, rowCount, columnStart, columnCount, new float[1]));
        Assert.Contains("lies outside tensor 'w' [3, 4]", error.Message);
        Assert.Equal(0, checkpoint.BytesRead);
    }

    [Fact]
    public void A_file_with_I64_BF16_and_F16_beside_F32_opens_and_only_an_unsupported_read_fails()
    {
        // position_ids I64 [2] (16 bytes), w BF16 [2] (4), h F16 [2] (4), f F32 [1] (4), flags U8 [4] (4).
        const string header = """
            {"position_ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"w":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},
             "h":{"dtype":"F16","shape":[1,2],"data_offsets":[20,24]},"f":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},
             "flags":{"dtype":"U8","shape":[4],"data_offsets":[28,32]}}
            """;
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes(7L));
        data.AddRange(BitConverter.GetBytes(-3L));
        data.AddRange([0x80, 0x3F, 0x40, 0xC0]);  // BF16 1.0 (0x3F80), -3.0 (0xC040)
        data.AddRange([0x00, 0x3C, 0x00, 0xB8]);  // F16 1.0 (0x3C00), -0.5 (0xB800)
        data.AddRange(BitConverter.GetBytes(2.5f));
        data.AddRange([1, 0, 1, 1]);
        using var checkpoint = SafetensorsCheckpoint.Open(HandBuilt(Encoding.UTF8.GetBytes(header), data.ToArray()));

        Assert.Equal([7L, -3], checkpoint.ReadInt64("position_ids"));
        Assert.Equal([1f, -3f], checkpoint.ReadFloats("w"));
        var half = new float[2];
        checkpoint.ReadBlock("h", 1, 2, 0, 1, 0, 2, half);
        Assert.Equal([1f, -0.5f], half);
        Assert.Equal([2.5f], checkpoint.ReadFloats("f"));
        var info = checkpoint.Describe("flags");
        Assert.Equal(("U8", 4L, checkpoint.Path), (info.DType, info.ByteLength, info.File));
        Assert.Equal([4L], info.Shape);

        var unsupported = Assert.Throws<NotSupportedException>(() => checkpoint.ReadFloats("flags"));
        Assert.Contains($"Tensor 'flags' in checkpoint '{checkpoint.Path}' is U8; weights read as F32 from F32, BF16, F16.", unsupported.Message);
        var notInt = Assert.Throws<NotSupportedException>(() => checkpoint.ReadInt64("w"));
        Assert.Contains("Tensor 'w' in checkpoint", notInt.Message);
        Assert.Contains("is BF16; ReadInt64 reads I64 tensors only", notInt.Message);
    }

    [Fact]
    public void A_file_that_is_not_safetensors_is_refused()
    {
        string path = Path.Combine(Root, "notes.txt");
        File.WriteAllText(path, "these are not weights, just some text");
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("not a safetensors file", error.Message);
    }

    [Fact]
    public void A_directory_is_refused_by_name()
    {
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(Root));
        Assert.Contains($"Checkpoint '{Root}' is a directory, not a file.", error.Message);
    }

    [Fact]
    public async Task A_fifo_is_refused_without_blocking()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        string fifo = Path.Combine(Root, "pipe.safetensors");
        Assert.Equal(0, MakeFifo(fifo, Convert.ToUInt32("600", 8)));
        string link = Path.Combine(Root, "link.safetensors");
        File.CreateSymbolicLink(link, fifo);
        foreach (string path in new[] { fifo, link })
        {
            var open = Task.Run(() => SafetensorsCheckpoint.Open(path));
            // Opening a FIFO for reading blocks until a writer comes: the check must run before any open.
            Assert.Same(open, await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(30))));
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => open);
            Assert.Contains($"Checkpoint '{path}' is 0 bytes long or not a regular file", error.Message);
        }

        // The JSON files of a model directory are checked the same way.
        string model = Path.Combine(Root, "model");
        Directory.CreateDirectory(model);
        SafetensorsWriter.Write(Path.Combine(model, "model.safetensors"), [SafetensorsWriter.Tensor.F32("w", [1], [1f])]);
        Assert.Equal(0, MakeFifo(Path.Combine(model, "config.json"), Convert.ToUInt32("600", 8)));
        using var checkpoint = HuggingFaceCheckpoint.Open(model);
        var config = Task.Run(() => checkpoint.ReadConfig());
        Assert.Same(config, await Task.WhenAny(config, Task.Delay(TimeSpan.FromSeconds(30))));
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => config);
        Assert.Contains($"'{Path.Combine(model, "config.json")}' is 0 bytes long or not a regular file", refused.Message);
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);
}
