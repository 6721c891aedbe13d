namespace TpCodegen.Training;

/// <summary>
/// Where dropout masks come from: one seed and a count of the dropout calls made so far on this rank. A mask element is
/// a hash of (seed, call, token, global feature), not a draw from a stream, so it depends on where the element sits in
/// the whole tensor and not on which rank holds it: ranks holding a replicated value draw the same mask, ranks holding
/// different slices of a sharded one draw different masks (what Megatron's RNG tracker keeps two streams for), and the
/// masks are the same at every degree, so a run with dropout is reproducible from one seed whatever the mesh.
/// Every rank must make its dropout calls in the same order (they do: they run the same Forward).
/// </summary>
public sealed class DropoutRng(ulong seed)
{
    public ulong Seed { get; } = seed;

    /// <summary>Dropout calls made so far; the next call's masks use this number.</summary>
    public long Calls { get; private set; }

    internal long Next() => Calls++;

    /// <summary>Restores the call count (a resumed run).</summary>
    public void Restore(long calls) => Calls = calls >= 0 ? calls : throw new ArgumentOutOfRangeException(nameof(calls), calls, "A call count cannot be negative.");

    /// <summary>A uniform number in [0, 1) for element (<paramref name="token"/>, <paramref name="feature"/>) of call <paramref name="call"/>.</summary>
    internal double Uniform(long call, long token, long feature)
    {
        ulong h = Mix(Seed ^ Mix((ulong)call ^ Mix(((ulong)token << 32) ^ (ulong)feature)));
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    // SplitMix64's finaliser: every input bit reaches every output bit.
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
