using Microsoft.ML.Tokenizers;

namespace GenerateSample;

/// <summary>
/// The tokenizer a Hugging Face model directory ships, through Microsoft.ML.Tokenizers: Llama's SentencePiece
/// <c>tokenizer.model</c>, or GPT-2's byte-level BPE (<c>vocab.json</c> + <c>merges.txt</c>). A directory with neither
/// runs on token ids alone.
/// </summary>
public sealed class ModelTokenizer
{
    private readonly Tokenizer _tokenizer;

    private ModelTokenizer(Tokenizer tokenizer, string kind)
    {
        _tokenizer = tokenizer;
        Kind = kind;
    }

    /// <summary>Which files it was made from, for the report.</summary>
    public string Kind { get; }

    /// <summary>The directory's tokenizer, or null when it has no tokenizer files.</summary>
    public static ModelTokenizer? TryLoad(string directory)
    {
        string sentencePiece = Path.Combine(directory, "tokenizer.model");
        string vocab = Path.Combine(directory, "vocab.json"), merges = Path.Combine(directory, "merges.txt");
        try
        {
            if (File.Exists(sentencePiece))
            {
                using var model = File.OpenRead(sentencePiece);
                // As Hugging Face's Llama tokenizer: a beginning-of-sentence id first, no end-of-sentence id.
                return new ModelTokenizer(LlamaTokenizer.Create(model, addBeginOfSentence: true, addEndOfSentence: false), "SentencePiece (tokenizer.model)");
            }
            if (File.Exists(vocab) && File.Exists(merges))
            {
                using var vocabStream = File.OpenRead(vocab);
                using var mergesStream = File.OpenRead(merges);
                // GPT-2's byte-level BPE; CodeGen's tokenizer is that BPE (no prefix space, no special ids added), as GPT-2's.
                return new ModelTokenizer(CodeGenTokenizer.Create(vocabStream, mergesStream), "byte-level BPE (vocab.json + merges.txt)");
            }
        }
        catch (Exception e) when (e is not IOException and not UnauthorizedAccessException)
        {
            throw new InvalidDataException($"The tokenizer files in '{directory}' could not be read: {e.Message}", e);
        }
        return null;
    }

    public int[] Encode(string text) => _tokenizer.EncodeToIds(text).ToArray();

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);
}
