using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed record CbCfg(int Vocab = 32000, int Hidden = 2048, int Heads = 16, int KvHeads = 4, int HeadDim = 128, int Layers = 4);

public sealed partial class CbAttention(CbCfg c)
{
    [TensorParallel(Split.Column)] public Linear Q { get; } = new(c.Hidden, c.Heads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim) };
    [TensorParallel(Split.Column)] public Linear K { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim) };
    [TensorParallel(Split.Column)] public Linear V { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim) };
    [TensorParallel(Split.Row)] public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: false) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim) };
    public DTensor Forward(DTensor x, SequenceBatch b, KvCache cache, RotaryEmbedding rope) =>
        O.Forward(CausalAttention.Forward(Q.Forward(x), K.Forward(x), V.Forward(x), c.HeadDim, b, cache, rope));
}

public sealed partial class CbModel
{
    private readonly CbCfg _c;
    private readonly CbAttention[] _layers;
    private readonly KvCache[] _caches;
    private readonly RotaryEmbedding _rope;
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(32000, 2048);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(2048, 32000, bias: false);

    public CbModel(CbCfg c, ProcessGroup tp, int slots, int capacity)
    {
        _c = c;
        _layers = Enumerable.Range(0, c.Layers).Select(_ => new CbAttention(c)).ToArray();
        int kvPerRank = Math.Max(1, c.KvHeads / tp.Size);
        _caches = Enumerable.Range(0, c.Layers).Select(_ => new KvCache(slots, capacity, kvPerRank, c.HeadDim)).ToArray();
        _rope = new RotaryEmbedding(c.HeadDim);
    }

    public void Free(int slot) { foreach (var cache in _caches) cache.Reset(slot); }

    public int[] Step(int[] ids, SequenceBatch batch, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        for (int i = 0; i < _layers.Length; i++) h = h + _layers[i].Forward(h, batch, _caches[i], _rope);
        var lastRows = new int[batch.Sequences.Count];
        for (int s = 0, row = 0; s < lastRows.Length; s++) { row += batch.Sequences[s].Length; lastRows[s] = row - 1; }
        return VocabParallel.Argmax(Head.Forward(Ops.SelectRows(h, lastRows)));
    }
}

public sealed class ContinuousBatcher(CbModel model, ProcessGroup tp, int slots)
{
    private sealed class Active { public int Slot; public List<int> Tokens = []; public int Remaining; }
    private readonly Queue<(int[] Prompt, int MaxNew)> _waiting = new();
    private readonly Dictionary<int, Active> _active = new();

    // Every rank enqueues the same prompts (the driver broadcasts them), so every rank builds the same batches.
    public void Enqueue(int[] prompt, int maxNew) => _waiting.Enqueue((prompt, maxNew));

    public IEnumerable<int[]> Drain()
    {
        while (_waiting.Count > 0 || _active.Count > 0)
        {
            var spans = new List<SequenceSpan>();
            var ids = new List<int>();
            var free = Enumerable.Range(0, slots).Where(s => !_active.ContainsKey(s)).ToList();
            while (free.Count > 0 && _waiting.Count > 0)
            {
                var (prompt, maxNew) = _waiting.Dequeue();
                var a = new Active { Slot = free[0], Remaining = maxNew };
                a.Tokens.AddRange(prompt);
                free.RemoveAt(0);
                _active[a.Slot] = a;
                spans.Add(new SequenceSpan(a.Slot, 0, prompt.Length));
                ids.AddRange(prompt);
            }
            foreach (var a in _active.Values.Where(a => !spans.Any(s => s.Slot == a.Slot)))
            {
                spans.Add(new SequenceSpan(a.Slot, a.Tokens.Count - 1, 1));
                ids.Add(a.Tokens[^1]);
            }
            var next = model.Step(ids.ToArray(), SequenceBatch.Of(spans.ToArray()), tp);
            for (int i = 0; i < spans.Count; i++)
            {
                var a = _active[spans[i].Slot];
                a.Tokens.Add(next[i]);
                if (--a.Remaining == 0 || next[i] == 2)
                {
                    _active.Remove(a.Slot);
                    model.Free(a.Slot);
                    yield return a.Tokens.ToArray();
                }
            }
        }
    }
}
