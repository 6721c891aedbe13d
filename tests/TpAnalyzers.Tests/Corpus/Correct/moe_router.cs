using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class Expert(int hidden, int ffn)
{
    [TensorParallel(Split.Column)] public Linear W1 { get; } = new(hidden, ffn, bias: false);
    [TensorParallel(Split.Column)] public Linear W3 { get; } = new(hidden, ffn, bias: false);
    [TensorParallel(Split.Row)] public Linear W2 { get; } = new(ffn, hidden, bias: false);
    public DTensor Forward(DTensor x) => W2.Forward(Ops.Silu(W1.Forward(x)) * W3.Forward(x));
}

// Mixtral-style MoE with every expert tensor-parallel and a replicated router: each rank computes the same routing.
public sealed class MoeLayer
{
    private readonly Expert[] _experts;
    public Linear Router { get; }             // unmarked: replicated on every rank
    public int TopK { get; }

    public MoeLayer(int hidden, int ffn, int experts, int topK)
    {
        _experts = Enumerable.Range(0, experts).Select(_ => new Expert(hidden, ffn)).ToArray();
        Router = new Linear(hidden, experts, bias: false);
        TopK = topK;
    }

    public IReadOnlyList<Expert> Experts => _experts;

    public DTensor Forward(DTensor x)
    {
        var scores = Router.Forward(x);                     // Replicate in, Replicate out
        var logits = scores.LocalSpan.ToArray();
        int tokens = x.Tokens, n = _experts.Length;
        var chosen = new List<int>[n];
        for (int e = 0; e < n; e++) chosen[e] = new List<int>();
        var gates = new float[tokens * n];
        for (int t = 0; t < tokens; t++)
        {
            var row = Enumerable.Range(0, n).Select(e => (e, v: logits[t * n + e])).OrderByDescending(p => p.v).Take(TopK).ToArray();
            float max = row[0].v, sum = row.Sum(p => MathF.Exp(p.v - max));
            foreach (var (e, v) in row) { chosen[e].Add(t); gates[t * n + e] = MathF.Exp(v - max) / sum; }
        }
        var output = new float[tokens * x.Features];
        for (int e = 0; e < n; e++)
        {
            // Every rank sees the same routing, so every rank calls the same experts (and their all-reduces).
            if (chosen[e].Count == 0) continue;
            var picked = Ops.SelectRows(x, chosen[e].ToArray());
            var y = _experts[e].Forward(picked).LocalSpan;
            for (int i = 0; i < chosen[e].Count; i++)
            {
                int t = chosen[e][i];
                for (int f = 0; f < x.Features; f++) output[t * x.Features + f] += gates[t * n + e] * y[i * x.Features + f];
            }
        }
        return DTensor.FromArray(output, tokens, x.Features, Placement.Replicate, x.Group);
    }
}
