using System.Text;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>A temporary directory for checkpoint tests, and safetensors files laid out byte by byte from the format's definition.</summary>
public abstract class CheckpointFiles : IDisposable
{
    protected string Root { get; } = Directory.CreateTempSubdirectory("tp-checkpoints-").FullName;

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>8-byte little-endian header length, the header's bytes as given, then <paramref name="data"/>; independent of the writer.</summary>
    protected string HandBuilt(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        string path = Path.Combine(Root, $"{Guid.NewGuid():N}.safetensors");
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((long)header.Length));
        file.Write(header);
        file.Write(data);
        return path;
    }

    protected string HandBuilt(string header, params float[] data) =>
        HandBuilt(Encoding.UTF8.GetBytes(header), data.SelectMany(BitConverter.GetBytes).ToArray());
}
