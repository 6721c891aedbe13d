using System.Text;
using GenerateSample;

namespace TpCodegen.Models.Tests.Samples;

/// <summary>
/// A SentencePiece BPE model (Llama's <c>tokenizer.model</c>) small enough to merge by hand, written as the protobuf
/// SentencePiece reads: pieces <c>&lt;unk&gt; &lt;s&gt; &lt;/s&gt; ▁ h e l o</c> and the merged pieces <c>▁h</c> (score -1),
/// <c>ll</c> (-2), <c>▁he</c> (-3), <c>llo</c> (-4). "hello" gains the dummy prefix, "▁hello", and BPE merges the
/// highest-scoring pair each time: ▁h, then ll, then ▁he, then llo, giving ▁he (10) and llo (11) after the BOS id 1.
/// </summary>
internal static class TinySentencePiece
{
    private static readonly (string Piece, float Score, int Type)[] Pieces =
    [
        ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), // UNKNOWN, CONTROL, CONTROL
        ("\u2581", -10, 1), ("h", -11, 1), ("e", -12, 1), ("l", -13, 1), ("o", -14, 1), // NORMAL
        ("\u2581h", -1, 1), ("ll", -2, 1), ("\u2581he", -3, 1), ("llo", -4, 1),
    ];

    public static void Write(string path)
    {
        var model = new MemoryStream();
        foreach (var (piece, score, type) in Pieces)
            Message(model, 1, Concat(Text(1, piece), Fixed32(2, score), Varint(3, type)));
        // TrainerSpec: model_type BPE (2), unk/bos/eos ids 0/1/2, no pad.
        Message(model, 2, Concat(Varint(3, 2), Varint(40, 0), Varint(41, 1), Varint(42, 2), Varint(43, -1)));
        // NormalizerSpec: identity, a dummy prefix, extra whitespace removed, spaces escaped as ▁.
        Message(model, 3, Concat(Text(1, "identity"), Varint(3, 1), Varint(4, 1), Varint(5, 1)));
        File.WriteAllBytes(path, model.ToArray());
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Tag(int field, int wireType) => VarintBytes((ulong)((field << 3) | wireType));

    private static byte[] Varint(int field, long value) => Concat(Tag(field, 0), VarintBytes((ulong)value));

    private static byte[] Fixed32(int field, float value) => Concat(Tag(field, 5), BitConverter.GetBytes(value));

    private static byte[] Text(int field, string value) => LengthDelimited(field, Encoding.UTF8.GetBytes(value));

    private static byte[] LengthDelimited(int field, byte[] bytes) => Concat(Tag(field, 2), VarintBytes((ulong)bytes.Length), bytes);

    private static void Message(Stream stream, int field, byte[] body) => stream.Write(LengthDelimited(field, body));

    private static byte[] VarintBytes(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
        return bytes.ToArray();
    }
}

public class TinySentencePieceTests
{
    [Fact]
    public void Llama_sentencepiece_model_encodes_as_merged_by_hand()
    {
        using var temp = new TempDirectory("spm");
        string directory = temp.Path;
        TinySentencePiece.Write(Path.Combine(directory, "tokenizer.model"));
        var tokenizer = ModelTokenizer.TryLoad(directory);
        Assert.NotNull(tokenizer);
        Assert.StartsWith("SentencePiece", tokenizer.Kind);
        Assert.Equal([1, 10, 11], tokenizer.Encode("hello"));
        Assert.Equal("hello", tokenizer.Decode([1, 10, 11]));
    }
}
