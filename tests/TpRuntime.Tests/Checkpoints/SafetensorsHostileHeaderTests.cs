using System.Text;
using TpCodegen.Checkpoints;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>
/// Headers built to make a parser allocate without bound (the shapes of the probe, at a tenth of their size):
/// each is refused, or read, with managed allocation a small multiple of the file.
/// </summary>
public sealed class SafetensorsHostileHeaderTests : CheckpointFiles
{
    private (string Path, long Length) Build(Action<StringBuilder> header, int dataBytes = 0)
    {
        var text = new StringBuilder();
        header(text);
        string path = HandBuilt(Encoding.UTF8.GetBytes(text.ToString()), new byte[dataBytes]);
        return (path, new FileInfo(path).Length);
    }

    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void Repeat(StringBuilder text, string item, int count)
    {
        for (int i = 0; i < count; i++) text.Append(i == 0 ? "" : ",").Append(item);
    }

    [Fact]
    public void Ten_megabytes_of_offsets_are_refused_after_the_second()
    {
        var (path, length) = Build(text =>
        {
            text.Append("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[""");
            Repeat(text, "0", 5_000_000);
            text.Append("]}}");
        });
        long allocated = Allocated(() =>
            Assert.Contains("tensor 'w' has a data_offsets longer than 2", Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path)).Message));
        Assert.True(allocated < length + 64 * 1024, $"{allocated} bytes allocated for a {length}-byte file");
    }

    [Fact]
    public void A_five_million_entry_shape_is_refused_after_the_limit()
    {
        var (path, length) = Build(text =>
        {
            text.Append("""{"w":{"dtype":"F32","data_offsets":[0,4],"shape":[""");
            Repeat(text, "1", 5_000_000);
            text.Append("]}}");
        }, dataBytes: 4);
        long allocated = Allocated(() =>
            Assert.Contains("tensor 'w' has a shape longer than 32", Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path)).Message));
        Assert.True(allocated < length + 64 * 1024, $"{allocated} bytes allocated for a {length}-byte file");
    }

    [Fact]
    public void Twenty_megabytes_of_metadata_are_refused_at_the_limit()
    {
        var (path, length) = Build(text => text.Append("""{"__metadata__":{"note":" """).Append('x', 20 << 20).Append("\"}}"));
        long allocated = Allocated(() =>
            Assert.Contains("'__metadata__' holds more than 16777216 bytes", Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path)).Message));
        Assert.True(allocated < length + 64 * 1024, $"{allocated} bytes allocated for a {length}-byte file");
    }

    [Fact]
    public void Two_hundred_thousand_empty_tensors_open_in_a_small_multiple_of_the_file()
    {
        const int count = 200_000;
        var (path, length) = Build(text =>
        {
            text.Append('{');
            for (int i = 0; i < count; i++)
                text.Append(i == 0 ? "" : ",").Append($"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
            text.Append('}');
        });
        SafetensorsCheckpoint? checkpoint = null;
        long allocated = Allocated(() => checkpoint = SafetensorsCheckpoint.Open(path));
        using (checkpoint)
        {
            Assert.True(checkpoint!.Contains($"t{count - 1}"));
            Assert.True(allocated < 6 * length, $"{allocated} bytes allocated for a {length}-byte file ({(double)allocated / length:F1}x)");
        }
    }

    [Fact]
    public void The_tensor_count_is_limited_before_the_next_entry_is_parsed()
    {
        var (path, _) = Build(text =>
        {
            text.Append('{');
            for (int i = 0; i < 1001; i++)
                text.Append(i == 0 ? "" : ",").Append($"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
            text.Append('}');
        });
        var limits = SafetensorsLimits.Default with { MaxTensors = 1000 };
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path, limits, progress: null, directoryMeter: null));
        Assert.Contains("the header lists more than 1000 tensors", error.Message);
        using var accepted = SafetensorsCheckpoint.Open(path, limits with { MaxTensors = 1001 }, progress: null, directoryMeter: null);
        Assert.Equal(1001, accepted.TensorNames.Count);
    }

    [Fact]
    public void A_header_over_the_reference_limit_is_refused_before_it_is_read()
    {
        string path = HandBuilt("{}"u8, []);
        using (var file = File.OpenWrite(path))
            file.Write(BitConverter.GetBytes(100_000_001L));
        File.AppendAllText(path, new string(' ', 64));
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("declares a 100000001-byte header", error.Message);
    }
}
