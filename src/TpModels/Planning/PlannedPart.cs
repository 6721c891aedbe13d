using TpCodegen.Collectives;

namespace TpCodegen.Models.Planning;

/// <summary>One weight-holding part of a model in a plan: how it is split and what one rank holds, reads and computes per token.</summary>
/// <param name="Name">The Hugging Face name, relative to its section (<c>self_attn.q_proj</c>).</param>
/// <param name="Split">How the ranks divide it, in words (<c>column, 8 heads -> 4 per rank</c>).</param>
/// <param name="Dense">The whole part's shape (linear layers as <c>[in -> out]</c>).</param>
/// <param name="Local">One rank's shape.</param>
/// <param name="ParametersPerRank">Floats one rank stores (vocabulary padding included: it is stored, as zeros).</param>
/// <param name="BytesReadPerToken">Bytes of this part one rank reads to process one token (an embedding: one row).</param>
/// <param name="FlopsPerToken">Floating-point operations one rank spends on one token (2 per multiply-add).</param>
public sealed record PlannedPart(string Name, string Split, string Dense, string Local, long ParametersPerRank, long BytesReadPerToken, long FlopsPerToken, string Note = "");

/// <summary>Parts that run together: the embedding, one decoder layer (repeated for every layer), the final norm and head.</summary>
/// <param name="LastTokenOnly">True for the final norm and head: generation computes logits only for the last token of each sequence.</param>
public sealed record PlannedSection(string Name, int Repeats, bool LastTokenOnly, IReadOnlyList<PlannedPart> Parts);

/// <summary>
/// A collective one forward runs, <paramref name="Calls"/> times, with the bytes each rank puts into one call for a prefill
/// of the plan's tokens and for one decode token.
/// </summary>
public sealed record ModelCollective(string Site, CollectiveKind Kind, int Calls, long PrefillBytesPerCall, long DecodeBytesPerCall);
