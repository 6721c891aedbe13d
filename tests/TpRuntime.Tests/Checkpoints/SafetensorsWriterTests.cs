using System.Text.Json;
using TpCodegen.Checkpoints;
using Tensor = TpCodegen.Checkpoints.SafetensorsWriter.Tensor;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>The writer: every dtype and rank round-trips through the reader, BF16 rounds as PyTorch does, and it refuses what the reader refuses.</summary>
public sealed class SafetensorsWriterTests : CheckpointFiles
{
    // Multiples of 1/8 below 16 need at most 7 significant bits: exact in BF16 and F16, so the round trip must be exact.
    private static float[] Exact(int count, int seed) =>
        [.. Enumerable.Range(0, count).Select(i => ((i * 37 + seed * 11) % 128 - 64) / 8f)];

    [Fact]
    public void Every_dtype_and_rank_round_trips_with_metadata()
    {
        string path = Path.Combine(Root, "all.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "é ünïcode" };
        SafetensorsWriter.Write(path,
        [
            Tensor.F32("scalar", [], [2.5f]),
            Tensor.F32("vector", [5], Exact(5, 1)),
            Tensor.F32("matrix", [2, 3], Exact(6, 2)),
            Tensor.F32("cube", [2, 3, 4], Exact(24, 3)),
            Tensor.F32("empty", [0, 3], []),
            Tensor.BF16("bf16.matrix", [3, 4], Exact(12, 4)),
            Tensor.BF16("bf16.cube", [2, 2, 2], Exact(8, 5)),
            Tensor.F16("f16.vector", [7], Exact(7, 6)),
            Tensor.I64("ids", [2, 3], [0, 1, -2, long.MaxValue, long.MinValue, 160]),
            Tensor.F32("名前.weight", [1], [1f]),
        ], metadata);

        using var checkpoint = SafetensorsCheckpoint.Open(path);
        Assert.Equal(metadata.OrderBy(pair => pair.Key), checkpoint.Metadata.OrderBy(pair => pair.Key));
        Assert.Equal([2.5f], checkpoint.ReadFloats("scalar"));
        Assert.Equal(Exact(5, 1), checkpoint.ReadFloats("vector"));
        Assert.Equal(Exact(6, 2), checkpoint.ReadFloats("matrix"));
        Assert.Equal(Exact(24, 3), checkpoint.ReadFloats("cube"));
        Assert.Empty(checkpoint.ReadFloats("empty"));
        Assert.Equal(Exact(12, 4), checkpoint.ReadFloats("bf16.matrix"));
        Assert.Equal(Exact(8, 5), checkpoint.ReadFloats("bf16.cube"));
        Assert.Equal(Exact(7, 6), checkpoint.ReadFloats("f16.vector"));
        Assert.Equal([0L, 1, -2, long.MaxValue, long.MinValue, 160], checkpoint.ReadInt64("ids"));
        Assert.Equal([1f], checkpoint.ReadFloats("名前.weight"));

        (string Name, string DType, long[] Shape, long Bytes)[] expected =
        [
            ("scalar", "F32", [], 4), ("cube", "F32", [2, 3, 4], 96), ("empty", "F32", [0, 3], 0),
            ("bf16.cube", "BF16", [2, 2, 2], 16), ("f16.vector", "F16", [7], 14), ("ids", "I64", [2, 3], 48),
        ];
        foreach (var (name, dtype, shape, bytes) in expected)
        {
            var info = checkpoint.Describe(name);
            Assert.Equal((name, dtype, bytes), (info.Name, info.DType, info.ByteLength));
            Assert.Equal(shape, info.Shape);
        }

        // A BF16 block reads converted, row by row for a column slice.
        var block = new float[3 * 2];
        checkpoint.ReadBlock("bf16.matrix", 3, 4, 0, 3, 1, 2, block);
        var all = Exact(12, 4);
        Assert.Equal([all[1], all[2], all[5], all[6], all[9], all[10]], block);
    }

    [Fact]
    public void BFloat16_tensors_store_the_round_to_nearest_even_bits()
    {
        var tensor = Tensor.BF16("w", [4], [1.00390625f, 1.01171875f, 1.0039072f, -3f]);
        Assert.Equal(new byte[] { 0x80, 0x3F, 0x82, 0x3F, 0x81, 0x3F, 0x40, 0xC0 }, tensor.Data.ToArray());
        string path = Path.Combine(Root, "bf16.safetensors");
        SafetensorsWriter.Write(path, [tensor]);
        using var checkpoint = SafetensorsCheckpoint.Open(path);
        Assert.Equal([1f, 1.015625f, 1.0078125f, -3f], checkpoint.ReadFloats("w"));
    }

    [Fact]
    public void The_header_is_what_other_readers_expect()
    {
        string path = Path.Combine(Root, "header.safetensors");
        SafetensorsWriter.Write(path, [Tensor.F32("a", [3], [1, 2, 3]), Tensor.BF16("b", [1, 2], [1, 2])], new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, (8 + headerLength) % 8);
        Assert.Equal(8 + headerLength + 12 + 4, bytes.Length);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("[12,16]", header.RootElement.GetProperty("b").GetProperty("data_offsets").GetRawText());
        Assert.Equal("BF16", header.RootElement.GetProperty("b").GetProperty("dtype").GetString());
    }

    public static TheoryData<Func<object>, string> Refusals => new()
    {
        { () => Tensor.F32("w", [-1, 4], new float[4]), "Tensor 'w' has a negative dimension in [-1, 4]." },
        { () => Tensor.F32("w", [2, 3], new float[5]), "Tensor 'w' is [2, 3] (6 values) but holds 5." },
        { () => Tensor.F32("__metadata__", [1], [1f]), "A tensor cannot be named '__metadata__'" },
        { () => Tensor.F32(null!, [1], [1f]), "A tensor name is null." },
        { () => Tensor.F32("w", null!, [1f]), "shape" },
        { () => Tensor.BF16("w", [1], null!), "Tensor 'w' has no values (null)." },
        { () => Tensor.I64("w", [1], null!), "Tensor 'w' has no values (null)." },
        { () => Tensor.F32("w\ud800", [1], [1f]), "holds a lone surrogate, which UTF-8 cannot encode" },
        { () => Tensor.F32(new string('n', 1025), [1], [1f]), "is longer than 1024 UTF-8 bytes" },
        { () => Tensor.F32("w", new long[33], []), "Tensor 'w' has 33 dimensions; at most 32." },
        { () => Tensor.F32("w", [long.MaxValue, 4], [1f]), "(9223372036854775807 values) but holds 1" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Tensors_the_reader_would_refuse_are_refused_when_made(Func<object> make, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(make);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Files_the_reader_would_refuse_are_refused_before_writing()
    {
        string path = Path.Combine(Root, "refused.safetensors");
        var duplicate = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [Tensor.F32("w", [1], [1f]), Tensor.F32("w", [1], [2f])]));
        Assert.Contains("Tensor 'w' appears twice.", duplicate.Message);
        var nullTensor = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [Tensor.F32("w", [1], [1f]), null!]));
        Assert.Contains("The tensors include a null.", nullTensor.Message);
        var nullValue = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(path, [Tensor.F32("w", [1], [1f])], new Dictionary<string, string> { ["format"] = null! }));
        Assert.Contains("Metadata 'format' is null", nullValue.Message);
        var legacy = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new SafetensorsWriter.NamedTensor("b", [-2], [])]));
        Assert.Contains("Tensor 'b' has a negative dimension in [-2].", legacy.Message);
        Assert.Empty(Directory.GetFiles(Root));
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_checkpoint_whole_and_no_temporary_file()
    {
        string path = Path.Combine(Root, "model.safetensors");
        SafetensorsWriter.Write(path, [Tensor.F32("w", [2], [1, 2])]);
        var before = File.ReadAllBytes(path);

        Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, Failing()));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(Root));

        static IEnumerable<Tensor> Failing()
        {
            yield return Tensor.F32("w", [2], [3, 4]);
            throw new InvalidOperationException("the model crashed mid-save");
        }
    }

    [Fact]
    public void A_save_replaces_the_file_by_rename_so_an_open_reader_keeps_the_old_one()
    {
        if (OperatingSystem.IsWindows()) return; // renaming over an open file is refused there
        string path = Path.Combine(Root, "model.safetensors");
        SafetensorsWriter.Write(path, [Tensor.F32("w", [2], [1, 2])]);
        using var old = SafetensorsCheckpoint.Open(path);
        SafetensorsWriter.Write(path, [Tensor.F32("w", [2], [3, 4])]);
        using var fresh = SafetensorsCheckpoint.Open(path);
        Assert.Equal([1f, 2], old.ReadFloats("w"));
        Assert.Equal([3f, 4], fresh.ReadFloats("w"));
        Assert.Equal([path], Directory.GetFiles(Root));
    }
}
