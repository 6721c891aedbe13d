namespace TpCodegen.Training;

/// <summary>
/// Inverted dropout on a replicated or feature-sharded activation: each element is zeroed with probability p and the
/// rest scaled by 1/(1 - p); recorded on the tape, whose gradient applies the same mask. The mask of each element comes
/// from <see cref="DropoutRng"/> by its global coordinates, so it is identical across ranks in replicated regions,
/// different across the slices of a sharded one, and the same at every tensor-parallel degree.
/// </summary>
public static class Dropout
{
    /// <summary>
    /// <paramref name="x"/> with dropout <paramref name="p"/> applied (a fresh mask per call); p = 0 returns x itself.
    /// A Shard(-1) value's local column j is taken to be global column rank * local + j (whole heads or plain features).
    /// </summary>
    public static DTensor Apply(DTensor x, float p, DropoutRng rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability must be in [0, 1).");
        if (x.Placement is PartialPlacement)
            throw new PlacementException($"Dropout of a {x.Placement} value on {x.Group} would drop each addend differently: all-reduce it first.");
        if (x.Placement is ShardPlacement { Dim: -2 })
            throw new PlacementException($"Dropout of a token-sharded value ({x.Placement}) is not supported yet: gather the tokens first.");
        if (p == 0) return x;
        long call = rng.Next();
        var mask = Mask(x, p, rng, call);
        var output = new float[mask.Length];
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.LocalSpan, mask, output);
        var y = DTensor.FromArray(output, x.Tokens, x.LocalFeatures, x.Placement, x.Group);
        if (Tape.Active is { } tape)
            tape.Record(y, g =>
            {
                var d = new float[mask.Length];
                System.Numerics.Tensors.TensorPrimitives.Multiply(g.LocalSpan, mask, d);
                tape.Accumulate(x, d);
            });
        return y;
    }

    // 0 where dropped, 1/(1 - p) where kept.
    private static float[] Mask(DTensor x, float p, DropoutRng rng, long call)
    {
        int width = x.LocalFeatures;
        long firstFeature = x.Placement is ShardPlacement ? (long)x.Group.Rank * width : 0;
        float keep = 1f / (1f - p);
        var mask = new float[(long)x.Tokens * width];
        for (int t = 0; t < x.Tokens; t++)
            for (int f = 0; f < width; f++)
                mask[t * width + f] = rng.Uniform(call, t, firstFeature + f) < p ? 0f : keep;
        return mask;
    }
}
