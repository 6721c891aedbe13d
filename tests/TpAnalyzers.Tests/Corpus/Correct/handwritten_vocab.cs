using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

// A vocabulary-parallel embedding written by hand, Megatron's VocabParallelEmbedding
public sealed class MyVocabEmbedding
{
    private readonly float[] _rows;
    private readonly int _vocabPerRank, _vocabStart, _hidden;
    private readonly ProcessGroup _tp;

    public MyVocabEmbedding(float[] embedTokens, int vocab, int hidden, ProcessGroup tp)
    {
        _tp = tp;
        _hidden = hidden;
        _vocabPerRank = (vocab + tp.Size - 1) / tp.Size;
        _vocabStart = tp.Rank * _vocabPerRank;
        int localRows = Math.Min(_vocabPerRank, vocab - _vocabStart);
        _rows = new float[_vocabPerRank * hidden];
        embedTokens.AsSpan(_vocabStart * hidden, localRows * hidden).CopyTo(_rows);
    }

    public DTensor Forward(int[] tokens)
    {
        var output = new float[tokens.Length * _hidden];
        for (int t = 0; t < tokens.Length; t++)
        {
            int local = tokens[t] - _vocabStart;
            if (local < 0 || local >= _vocabPerRank) continue;   // another rank owns this id
            _rows.AsSpan(local * _hidden, _hidden).CopyTo(output.AsSpan(t * _hidden, _hidden));
        }
        _tp.AllReduce(output);
        return DTensor.FromArray(output, tokens.Length, _hidden, Placement.Replicate, _tp);
    }

    public static float[] SliceTokenEmbeddings(float[] tokenEmbeddings, int vocab, int hidden, ProcessGroup tp)
    {
        int rowsPerRank = vocab / tp.Size;
        return tokenEmbeddings.AsSpan(tp.Rank * rowsPerRank * hidden, rowsPerRank * hidden).ToArray();
    }

    public static int[] OwnedTokenIds(int vocab, ProcessGroup tp)
    {
        int perRank = vocab / tp.Size;
        var vocabularyIds = Enumerable.Range(0, vocab).ToArray();
        return vocabularyIds.Skip(tp.Rank * perRank).Take(perRank).ToArray();
    }
}
