using System;
using System.Collections.Generic;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Reads intent from identifiers: the heuristic rules recognise a tensor-parallel group or degree, a data-parallel
/// group, the world, a batch or a token count by the words of a name ("tpGroup" is [tp, group]).
/// </summary>
internal static class Names
{
    // The same few names (tp, group, batchSize, Forward, ...) are asked about at every operation by several rules.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> s_words = new(StringComparer.Ordinal);

    // Beyond this many distinct names (generated code), words are split afresh rather than kept.
    private const int MaxCachedNames = 4096;

    /// <summary>Splits camelCase, PascalCase, ACRONYMCase and snake_case into lower-case words.</summary>
    public static IReadOnlyList<string> Words(string name)
    {
        if (s_words.TryGetValue(name, out var known)) return known;
        var words = Split(name);
        if (s_words.Count < MaxCachedNames) s_words.TryAdd(name, words);
        return words;
    }

    private static string[] Split(string name)
    {
        var words = new List<string>();
        int start = -1;
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (!char.IsLetterOrDigit(c))
            {
                Flush(i);
                continue;
            }
            if (start < 0)
            {
                start = i;
                continue;
            }
            char previous = name[i - 1];
            bool lowerToUpper = char.IsUpper(c) && !char.IsUpper(previous);
            bool acronymEnd = char.IsUpper(c) && char.IsUpper(previous) && i + 1 < name.Length && char.IsLower(name[i + 1]);
            if (lowerToUpper || acronymEnd)
            {
                Flush(i);
                start = i;
            }
        }
        Flush(name.Length);
        return words.ToArray();

        void Flush(int end)
        {
            if (start >= 0 && end > start) words.Add(name.Substring(start, end - start).ToLowerInvariant());
            start = -1;
        }
    }

    /// <summary>tp, tpGroup, _tp, TpDegree, tensorParallel, TensorParallelGroup.</summary>
    public static bool IsTensorParallel(string name) => HasWord(name, "tp") || HasPair(name, "tensor", "parallel") || HasWord(name, "tensorparallel");

    /// <summary>dp, dpGroup, dataParallel.</summary>
    public static bool IsDataParallel(string name) => HasWord(name, "dp") || HasPair(name, "data", "parallel") || HasWord(name, "dataparallel");

    public static bool IsWorld(string name) => HasWord(name, "world");

    public static bool IsRank(string name) => HasWord(name, "rank");

    /// <summary>
    /// A name that says a process's rank (<c>rank</c>, <c>worldRank</c>, <c>localRank</c>), not a bound or a matrix
    /// rank (<c>minRank</c>, <c>maxRank</c>, <c>loraRank</c>, <c>adapterRank</c>).
    /// </summary>
    public static bool IsProcessRank(string name)
    {
        if (!IsRank(name)) return false;
        foreach (var word in Words(name))
        {
            if (word is "min" or "max" or "lora" or "adapter" or "budget" or "low" or "target" or "matrix" or "top") return false;
        }
        return true;
    }

    public static bool IsBatch(string name) => HasWord(name, "batch") || HasWord(name, "batches");

    /// <summary>
    /// Names of data a data split divides: batches, tokens, samples, sequences, examples, documents, prompts, a dataset or
    /// corpus, unless what the name is of, its head, is a weight or a measure of one: <c>tokenEmbeddings</c> is a weight,
    /// <c>bytesPerToken</c> a byte count (the head is the last word before a "per", else the last word).
    /// </summary>
    public static bool IsData(string name)
    {
        var words = Words(name);
        if (IsNotData(Head(words))) return false;
        foreach (var word in words)
        {
            switch (word)
            {
                case "batch":
                case "batches":
                case "token":
                case "tokens":
                case "sample":
                case "samples":
                case "sequence":
                case "sequences":
                case "seq":
                case "seqs":
                case "example":
                case "examples":
                case "document":
                case "documents":
                case "prompt":
                case "prompts":
                case "dataset":
                case "corpus":
                    return true;
            }
        }
        return false;
    }

    private static string Head(IReadOnlyList<string> words)
    {
        int end = words.Count;
        for (int i = words.Count - 1; i > 0; i--)
        {
            if (words[i] == "per")
            {
                end = i;
                break;
            }
        }
        return end > 0 ? words[end - 1] : "";
    }

    private static bool IsNotData(string head) => head switch
    {
        "embedding" or "embeddings" or "embed" or "weight" or "weights" or "table" or "matrix" or "bytes" or "byte" or "vocab" or "vocabulary" => true,
        _ => false,
    };

    private static bool HasWord(string name, string word)
    {
        foreach (var each in Words(name))
        {
            if (string.Equals(each, word, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static bool HasPair(string name, string first, string second)
    {
        var words = Words(name);
        for (int i = 0; i + 1 < words.Count; i++)
        {
            if (string.Equals(words[i], first, StringComparison.Ordinal) && string.Equals(words[i + 1], second, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
