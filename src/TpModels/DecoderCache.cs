namespace TpCodegen.Models;

/// <summary>A decoder's KV caches, one per layer, holding only this rank's key/value heads.</summary>
public sealed class DecoderCache(IReadOnlyList<KvCache> layers)
{
    public IReadOnlyList<KvCache> Layers { get; } = layers;

    /// <summary>Positions filled in <paramref name="slot"/>.</summary>
    public int Length(int slot) => Layers[0].Length(slot);

    /// <summary>Bytes of keys and values one position of one sequence takes on this rank, over all layers.</summary>
    public long BytesPerPosition => Layers.Sum(l => l.BytesPerPosition);

    /// <summary>Forgets every sequence.</summary>
    public void Clear()
    {
        foreach (var layer in Layers) layer.Clear();
    }

    /// <summary>Forgets <paramref name="slot"/>'s sequence.</summary>
    public void Reset(int slot)
    {
        foreach (var layer in Layers) layer.Reset(slot);
    }

    /// <summary>Caches for <paramref name="layers"/> layers of <paramref name="kvHeads"/> heads (this rank's) of <paramref name="headDim"/>.</summary>
    public static DecoderCache Create(int layers, int slots, int capacity, int kvHeads, int headDim) =>
        new(Enumerable.Range(0, layers).Select(_ => new KvCache(slots, capacity, kvHeads, headDim)).ToArray());
}
