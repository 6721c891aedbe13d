using System.Text;
using TpCodegen.Checkpoints;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>Every rule of the reference implementation, one malformed header each, refused with the file and the fault.</summary>
public sealed class SafetensorsHeaderRulesTests : CheckpointFiles
{
    [Theory]
    // Byte lengths and tiling.
    [InlineData("""{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", 12, "tensor 'w' is [2, 2] F32 (16 bytes) but its data_offsets span 12 bytes")]
    [InlineData("""{"w":{"dtype":"F32","shape":[64],"data_offsets":[0,256]}}""", 16, "the tensors cover 256 bytes but the data section holds 16")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 20, "the tensors cover 16 bytes but the data section holds 20")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24,
        "tensor 'b' has data_offsets [8, 24] overlapping the previous tensor, which ends at 16")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[20,36]}}""", 36,
        "tensor 'b' has data_offsets [20, 36], leaving a gap after byte 16")]
    [InlineData("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}}""", 0, "tensor 'w' has data_offsets [16, 0] that end before they begin")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}}""", 16, "tensor 'w' has a data_offsets longer than 2")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[16]}}""", 16, "tensor 'w' has data_offsets that are not two numbers [begin, end]")]
    // Shapes.
    [InlineData("""{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}}""", 16, "tensor 'w' has a negative shape entry -1")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}""", 16, "tensor 'w' has shape [4294967296, 4294967296], whose size overflows 64 bits")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,16]}}""", 16, "tensor 'w' has a shape entry that is not an integer")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,16]}}""", 16, "tensor 'w' has a shape entry that is not an integer")]
    [InlineData("""{"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,16]}}""", 16, "tensor 'w' has a shape entry that is not an integer")]
    [InlineData("""{"w":{"dtype":"F32","shape":"4","data_offsets":[0,16]}}""", 16, "tensor 'w' has a shape that is not an array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,4],"data_offsets":[0,16]}}""", 16, "tensor 'w' has a shape longer than 32")]
    // Entries.
    [InlineData("""{"w":{"dtype":"F32","dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 16, "tensor 'w' gives its dtype twice")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"shape":[4],"data_offsets":[0,16]}}""", 16, "tensor 'w' gives its shape twice")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"data_offsets":[0,16]}}""", 16, "tensor 'w' gives its data_offsets twice")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[0],"data_offsets":[16,16]}}""", 16, "tensor 'w' appears twice in the header")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"offsets":[0,16]}}""", 16, "tensor 'w' has a key 'offsets'; entries hold only dtype, shape and data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4]}}""", 16, "tensor 'w' lacks its data_offsets")]
    [InlineData("""{"w":{"shape":[4],"data_offsets":[0,16]}}""", 16, "tensor 'w' lacks its dtype")]
    [InlineData("""{"w":{"dtype":"F99","shape":[4],"data_offsets":[0,16]}}""", 16, "tensor 'w' has dtype 'F99', which safetensors does not define")]
    [InlineData("""{"w":{"dtype":null,"shape":[4],"data_offsets":[0,16]}}""", 16, "tensor 'w' has a dtype that is not a string")]
    [InlineData("""{"w":[1,2]}""", 16, "tensor 'w' is not an object with dtype, shape and data_offsets")]
    // Metadata and the document.
    [InlineData("""{"__metadata__":{"format":1},"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 16, "'__metadata__' entry 'format' is not a string")]
    [InlineData("""{"__metadata__":{"a":"1","a":"2"},"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 16, "'__metadata__' entry 'a' appears twice")]
    [InlineData("""{"__metadata__":{},"__metadata__":{},"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 16, "'__metadata__' appears twice in the header")]
    [InlineData("""[{"dtype":"F32","shape":[4],"data_offsets":[0,16]}]""", 16, "the header is not a JSON object")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}} {}""", 16, "the header is not valid JSON")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}""", 16, "the header is not valid JSON")]
    [InlineData("""{/* c */"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 16, "the header is not valid JSON")]
    public void A_header_breaking_a_rule_is_refused_with_the_file_and_the_fault(string header, int dataBytes, string expected)
    {
        string path = HandBuilt(Encoding.UTF8.GetBytes(header), new byte[dataBytes]);
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains($"Checkpoint '{path}': ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_same_rules_accept_empty_tensors_scalars_and_trailing_header_spaces()
    {
        string header = """{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}   """;
        using var checkpoint = SafetensorsCheckpoint.Open(HandBuilt(header, 6.5f));
        Assert.Equal([6.5f], checkpoint.ReadFloats("s"));
        Assert.Empty(checkpoint.ReadFloats("e"));
        Assert.Equal(1, checkpoint.Describe("s").ElementCount);
    }

    [Fact]
    public void A_name_that_is_not_utf8_is_refused_naming_the_file()
    {
        var header = new List<byte>(Encoding.ASCII.GetBytes("{\"w"));
        header.AddRange([0xC3, 0x28]); // a two-byte sequence whose second byte is not a continuation
        header.AddRange(Encoding.ASCII.GetBytes("\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"));
        string path = HandBuilt(header.ToArray(), new byte[16]);
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains($"Checkpoint '{path}': a tensor name at byte 1 is not valid UTF-8 text.", error.Message);

        string escaped = HandBuilt("""{"w\ud800":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 1, 2, 3, 4);
        Assert.Contains("is not valid UTF-8 text", Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(escaped)).Message);
    }

    [Fact]
    public void A_long_name_is_refused_and_quoted_short()
    {
        string name = new('n', 5000);
        string path = HandBuilt($$$"""{"{{{name}}}":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 1, 2, 3, 4);
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("a tensor name at byte 1 is 5000 bytes long; names are limited to 1024", error.Message);
        Assert.True(error.Message.Length < 400, error.Message);
    }

    [Fact]
    public void Quoted_content_in_messages_is_cut_short()
    {
        string dtype = new('X', 100_000);
        string path = HandBuilt($$$"""{"w":{"dtype":"{{{dtype}}}","shape":[4],"data_offsets":[0,16]}}""", 1, 2, 3, 4);
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("... (100000 characters)', which safetensors does not define", error.Message);
        Assert.True(error.Message.Length < 400, $"{error.Message.Length} characters");
    }
}
