namespace TpCodegen.Checkpoints;

/// <summary>
/// Ceilings the header parser checks before it allocates, so that a hostile header costs memory in proportion to the
/// file and never more. Real checkpoints stay far below every one of them (a Llama shard names a few hundred tensors
/// of at most 4 dimensions, with names under 100 bytes).
/// </summary>
internal sealed record SafetensorsLimits(long MaxHeaderBytes, int MaxTensors, int MaxDimensions, int MaxNameBytes, long MaxMetadataBytes)
{
    /// <summary>The reference implementation's 100 MB header ceiling, and generous bounds on what a header may hold.</summary>
    public static readonly SafetensorsLimits Default = new(
        MaxHeaderBytes: 100_000_000,
        MaxTensors: 1 << 20,
        MaxDimensions: 32,
        MaxNameBytes: 1024,
        MaxMetadataBytes: 16 << 20);
}
