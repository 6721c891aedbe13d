namespace TpCodegen;

/// <summary>
/// A token shard all-gathered for one block (<see cref="DTensor.GatherTokens"/>); disposing it releases the gathered
/// buffer, so sequence parallelism keeps 1/tp of the activations between blocks.
/// </summary>
public readonly struct GatheredTokens : IDisposable
{
    internal GatheredTokens(DTensor value) => Value = value;

    /// <summary>The gathered, replicated value: valid until this is disposed.</summary>
    public DTensor Value { get; }

    /// <summary>Releases the gathered buffer; reading <see cref="Value"/> afterwards throws.</summary>
    public void Dispose() => Value?.Release();
}
