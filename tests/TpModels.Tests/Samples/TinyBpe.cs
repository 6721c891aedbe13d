using GenerateSample;

namespace TpCodegen.Models.Tests.Samples;

/// <summary>
/// A GPT-2-style byte-level BPE small enough to merge by hand: "hello world" pre-tokenizes to "hello" and "Ġworld" (Ġ is
/// the space byte), and the merges, in priority order, make hello = 11, then Ġw = 12, or = 13, leaving l = 2 and d = 7. Like GPT-2's, the vocabulary holds <|endoftext|>, which the tokenizer requires.
/// </summary>
internal static class TinyBpe
{
    public static void Write(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "vocab.json"),
            """{"h": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "he": 8, "ll": 9, "hell": 10, "hello": 11, "Ġw": 12, "or": 13, "<|endoftext|>": 14}""");
        File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\nh e\nl l\nhe ll\nhell o\nĠ w\no r\n");
    }
}

public class TinyBpeTests
{
    [Fact]
    public void Gpt2_bpe_from_vocab_and_merges_encodes_as_merged_by_hand()
    {
        using var temp = new TempDirectory("bpe");
        string directory = temp.Path;
        TinyBpe.Write(directory);
        var tokenizer = ModelTokenizer.TryLoad(directory);
        Assert.NotNull(tokenizer);
        Assert.Equal([11, 12, 13, 2, 7], tokenizer.Encode("hello world"));
        Assert.Equal("hello world", tokenizer.Decode([11, 12, 13, 2, 7]));
        Assert.Null(ModelTokenizer.TryLoad(AppContext.BaseDirectory + "Fixtures")); // no tokenizer files there
    }
}
