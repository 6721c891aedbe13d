namespace TrainSample;

/// <summary>
/// The synthetic language the sample trains on: <c>x1 .. xn SEP xn .. x1</c>, a random word and its reverse. Only the
/// reversed half is predicted (the word itself is random, so its tokens are ignored by the loss): a tiny model learns it
/// in a few hundred steps, and the loss falls from log(vocabulary) towards zero.
/// </summary>
public sealed class ReverseTask(int symbols, int wordLength)
{
    /// <summary>Symbols 0..symbols-1, then the separator.</summary>
    public int Vocabulary => symbols + 1;

    public int Separator => symbols;

    /// <summary>Tokens per sequence: the word, the separator, the reversed word.</summary>
    public int Length => 2 * wordLength + 1;

    /// <summary>
    /// <paramref name="sequences"/> sequences for step <paramref name="step"/> (the same on every rank and every run),
    /// with next-token targets: the ignore index wherever the next token is part of the random word.
    /// </summary>
    public (int[] Ids, int[] Targets) Batch(int step, int sequences, int ignoreIndex)
    {
        var random = new Random(7919 * (step + 1));
        var ids = new int[sequences * Length];
        var targets = new int[ids.Length];
        for (int s = 0; s < sequences; s++)
        {
            var row = ids.AsSpan(s * Length, Length);
            for (int i = 0; i < wordLength; i++) row[i] = random.Next(symbols);
            row[wordLength] = Separator;
            for (int i = 0; i < wordLength; i++) row[wordLength + 1 + i] = row[wordLength - 1 - i];
            for (int i = 0; i < Length; i++)
                targets[s * Length + i] = i >= wordLength && i + 1 < Length ? row[i + 1] : ignoreIndex;
        }
        return (ids, targets);
    }
}
