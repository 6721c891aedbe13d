namespace TpCodegen;

/// <summary>
/// A distributed value was used in a way its placement does not allow: the operation would have produced
/// wrong numbers (a replicated bias added to every addend of a partial sum, a non-linear function of an
/// unreduced value), so it fails at once and says what to do instead.
/// </summary>
public sealed class PlacementException(string message) : InvalidOperationException(message);
