using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class BeamLm
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(5000, 512);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512);
    public LayerNorm Norm { get; } = new(512);

    // Scores are computed on replicated hidden states against the tied embedding: logits come back split by vocabulary.
    public DTensor Hidden(ReadOnlySpan<int> ids, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        return Norm.Forward(h + Down.Forward(Ops.Gelu(Up.Forward(h))));
    }
}

public readonly record struct Beam(int[] Tokens, float Score)
{
    public Beam Extend(int token, float logProb) => new([.. Tokens, token], Score + logProb);
}

public static class BeamSearch
{
    // Beams advance by the same argmax on every rank; no rank-dependent control flow around the forward.
    public static Beam Run(BeamLm lm, int[] prompt, int beams, int steps, ProcessGroup tp)
    {
        var frontier = new List<Beam> { new(prompt, 0f) };
        for (int step = 0; step < steps; step++)
        {
            var candidates = new List<Beam>();
            foreach (var beam in frontier)
            {
                var hidden = lm.Hidden(beam.Tokens, tp);
                var last = Ops.SelectRows(hidden, [hidden.Tokens - 1]);
                var logits = lm.Embed.Logits(last);
                var best = VocabParallel.Argmax(logits)[0];
                candidates.Add(beam.Extend(best, -0.1f * (step + 1)));
                // replicated hidden: reading it locally is the same on every rank
                float norm = last.Local.FlattenedLength > 0 ? MathF.Sqrt(last.LocalSpan.ToArray().Sum(v => v * v)) : 0f;
                candidates.Add(beam.Extend((best + 1) % 5000, -0.2f * (step + 1) - norm * 1e-6f));
            }
            frontier = candidates.OrderByDescending(b => b.Score).Take(beams).ToList();
            if (frontier.All(b => b.Tokens[^1] == 2)) break;
        }
        var winner = frontier.MaxBy(b => b.Score);
        if (tp.Rank == 0) Console.WriteLine($"best: {string.Join(' ', winner.Tokens)} ({winner.Score:F3})");
        return winner;
    }
}
