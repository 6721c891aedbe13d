namespace TpCodegen.Parallel;

/// <summary>
/// A layer cannot be split over the requested number of ranks: the dimension its split divides is not a multiple of
/// the tensor-parallel degree. The message names the layer, the dimension, its size, the degree and the degrees that work.
/// </summary>
public sealed class TensorParallelDegreeException(
    string layerName, Split split, string dimension, int size, int degree, IReadOnlyList<int> validDegrees, string message)
    : ArgumentException(message)
{
    public string LayerName { get; } = layerName;

    public Split Split { get; } = split;

    /// <summary>"input features" or "output features".</summary>
    public string Dimension { get; } = dimension;

    public int Size { get; } = size;

    public int Degree { get; } = degree;

    /// <summary>Every degree that divides <see cref="Size"/>, ascending.</summary>
    public IReadOnlyList<int> ValidDegrees { get; } = validDegrees;
}
