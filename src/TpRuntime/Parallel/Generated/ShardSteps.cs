using System.ComponentModel;
using TpCodegen.Collectives;

namespace TpCodegen.Parallel.Generated;

/// <summary>
/// The steps a generated layer takes between its GEMMs: move a value to the placement the split contract names (through
/// the contract's transition table, as <see cref="DTensor.Redistribute"/> does) and check an activation's width.
/// Plumbing, not API: public only because generated code compiles into the author's assembly, and hidden from
/// IntelliSense for the same reason.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ShardSteps
{
    /// <summary>
    /// Wraps a buffer the layer just filled (<paramref name="from"/>, <paramref name="localFeatures"/> per rank) and moves
    /// it to <paramref name="to"/>. The buffer belongs to the layer, so an all-reduce sums in place, with no copy.
    /// </summary>
    public static DTensor Move(float[] local, int tokens, int localFeatures, PlacementKind from, PlacementKind to, ProcessGroup group) =>
        DTensor.OverStepBuffer(local, tokens, localFeatures, Placement.FromKind(from), group).RedistributeOwned(Placement.FromKind(to));

    /// <summary>Moves a value the caller holds (it is left as it was) to <paramref name="to"/>.</summary>
    public static DTensor Move(DTensor value, PlacementKind to)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Redistribute(Placement.FromKind(to));
    }

    /// <summary>Checks that an activation reaching a shard has the local width the shard was built for.</summary>
    public static void RequireLocalFeatures(ShardedLinear layer, DTensor x, int expected)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(x);
        if (x.LocalFeatures != expected)
            throw new ArgumentException(
                $"{layer.Split} layer '{layer.LayerName}' on {layer.Group} expects {expected} local input features " +
                $"({layer.InFeatures} in all) but got {x}.", nameof(x));
    }

    /// <summary>
    /// The output buffer of a shard's GEMM, <paramref name="tokens"/> x <paramref name="features"/>, not cleared (the GEMM
    /// writes every element): from the thread's step pool inside a <see cref="StepBuffers"/> scope, so a steady decode or
    /// training step allocates nothing, and new outside one.
    /// </summary>
    public static float[] Output(int tokens, int features) => StepBuffers.Rent((long)tokens * features, zeroed: false);

    /// <summary>The embedding table a module member holds; a clear error naming the member, not a NullReferenceException.</summary>
    public static Embedding Table(Embedding? table, string layerName) =>
        table ?? throw new InvalidOperationException($"Embedding '{layerName}' is null: build the module's layers before sharding it.");

    /// <summary>
    /// Checks, before a generated ShardFrom attaches anything, that <paramref name="shard"/> was cut from a table of
    /// <paramref name="table"/>'s shape, so a mismatch leaves every layer of the module as it was.
    /// </summary>
    public static void RequireFits(Embedding? table, EmbeddingShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var target = Table(table, shard.LayerName);
        if (shard.Vocabulary != target.Vocabulary || shard.Features != target.Features)
            throw new ArgumentException(
                $"Embedding '{shard.LayerName}' is [{target.Vocabulary}, {target.Features}] but its shard was cut from a " +
                $"[{shard.Vocabulary}, {shard.Features}] table; no layer of the module was sharded.", nameof(shard));
    }
}
