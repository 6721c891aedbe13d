namespace TpCodegen;

/// <summary>
/// Moves a row-major <c>[tokens, features]</c> matrix to and from <c>[parts, tokens, features / parts]</c>:
/// collectives exchange contiguous blocks, while a feature shard is a block of columns.
/// </summary>
internal static class ColumnBlocks
{
    /// <summary>Cuts <paramref name="source"/> [tokens, features] into <paramref name="parts"/> column blocks laid end to end.</summary>
    public static void Split(ReadOnlySpan<float> source, Span<float> blocks, int tokens, int features, int parts)
    {
        int width = features / parts;
        for (int p = 0; p < parts; p++)
            for (int t = 0; t < tokens; t++)
                source.Slice(t * features + p * width, width).CopyTo(blocks.Slice((p * tokens + t) * width, width));
    }

    /// <summary>Joins <paramref name="parts"/> column blocks of width <paramref name="width"/> into one [tokens, parts * width] matrix.</summary>
    public static void Join(ReadOnlySpan<float> blocks, Span<float> destination, int tokens, int width, int parts)
    {
        int features = width * parts;
        for (int p = 0; p < parts; p++)
            for (int t = 0; t < tokens; t++)
                blocks.Slice((p * tokens + t) * width, width).CopyTo(destination.Slice(t * features + p * width, width));
    }
}
