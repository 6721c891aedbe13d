using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

// LoRA on a tensor-parallel MLP: 'rank' is the adapter's rank (a matrix rank), not a process rank.
public sealed partial class LoraMlp(int hidden, int ffn, int rank, float alpha)
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, ffn, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(ffn, hidden, bias: false);
    public Linear LoraA { get; } = new(hidden, Math.Max(rank, 1), bias: false);     // replicated adapter
    public Linear LoraB { get; } = new(Math.Max(rank, 1), hidden, bias: false);
    public int Rank { get; } = rank;
    public float Scale { get; } = rank > 0 ? alpha / rank : 0f;

    public DTensor Forward(DTensor x)
    {
        var y = Down.Forward(Ops.Silu(Up.Forward(x)));
        if (rank > 0)
            y = y + LoraB.Forward(LoraA.Forward(x));
        return y;
    }
}

public static class LoraStack
{
    public static DTensor Run(LoraMlp[] blocks, DTensor x, int minRank)
    {
        var h = x;
        foreach (var b in blocks)
        {
            if (b.Rank < minRank) continue;           // skip adapters below the rank budget: same on every process
            h = h + b.Forward(h);
        }
        return h;
    }

    // Beam hypotheses ranked by score: 'rank' is the hypothesis's position in the list.
    public static DTensor[] ScoreTop(LoraMlp block, DTensor[] hypotheses, int keep)
    {
        var kept = new DTensor[Math.Min(keep, hypotheses.Length)];
        foreach (var (h, rank) in hypotheses.Select((h, i) => (h, i)))
        {
            if (rank >= keep) break;
            kept[rank] = block.Forward(h);
        }
        return kept;
    }
}
