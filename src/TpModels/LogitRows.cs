namespace TpCodegen.Models;

/// <summary>Which rows a forward computes logits for: all of them (scoring, training), or only each sequence's last (generation: the head is the largest GEMM of a prefill).</summary>
public enum LogitRows
{
    All,
    LastOfEachSequence,
}

internal static class LogitRowSelection
{
    /// <summary>The hidden rows the head needs for <paramref name="rows"/>.</summary>
    public static DTensor Select(DTensor hidden, SequenceBatch batch, LogitRows rows)
    {
        if (rows == LogitRows.All) return hidden;
        int count = batch.Sequences.Count;
        Span<int> last = count <= 256 ? stackalloc int[count] : new int[count]; // a decode step allocates nothing
        int row = 0;
        for (int s = 0; s < last.Length; s++)
        {
            row += batch.Sequences[s].Length;
            if (batch.Sequences[s].Length == 0) throw new ArgumentException($"Sequence {s} of the batch is empty: it has no last token to predict from.");
            last[s] = row - 1;
        }
        return Ops.SelectRows(hidden, last);
    }
}
