using System.Globalization;
using System.Text;

namespace TpCodegen.Parallel;

/// <summary>Shape checks the generated code runs before it cuts a shard, and again on the activations a shard receives.</summary>
public static class TensorParallelChecks
{
    // Enough divisors to show the pattern (11008 = 2^8 * 43: 1, 2, 4, ..., 43, 64, ...) without a wall of numbers.
    private const int DegreesShown = 8;

    /// <summary>
    /// The share of <paramref name="size"/> one of <paramref name="tp"/> ranks owns; throws a
    /// <see cref="TensorParallelDegreeException"/> when <paramref name="tp"/> does not divide it.
    /// </summary>
    public static int LocalSize(string layerName, Split split, int size, int tp)
    {
        string dimension = split == Split.Column ? "output features" : "input features";
        if (tp < 1)
            throw new ArgumentOutOfRangeException(nameof(tp), tp, $"{split} layer '{layerName}': the tensor-parallel degree must be at least 1.");
        if (size % tp == 0) return size / tp;

        var valid = ValidDegrees(size);
        var message = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{split} layer '{layerName}': {dimension} {size} is not divisible by tp={tp}; valid tp: ")
            .AppendJoin(", ", valid.Take(DegreesShown).Select(d => d.ToString(CultureInfo.InvariantCulture)))
            .Append(valid.Count > DegreesShown ? ", ..." : "")
            .ToString();
        throw new TensorParallelDegreeException(layerName, split, dimension, size, tp, valid, message);
    }

    /// <summary>Every positive divisor of <paramref name="size"/>, ascending.</summary>
    public static IReadOnlyList<int> ValidDegrees(int size)
    {
        var low = new List<int>();
        var high = new List<int>();
        for (int d = 1; (long)d * d <= size; d++)
        {
            if (size % d != 0) continue;
            low.Add(d);
            if (d != size / d) high.Add(size / d);
        }
        high.Reverse();
        low.AddRange(high);
        return low;
    }

    /// <summary>Checks that an activation reaching a shard has the local width the shard was built for.</summary>
    public static void RequireLocalFeatures(ShardedLinear layer, DTensor x, int expected)
    {
        if (x.LocalFeatures != expected)
            throw new ArgumentException(
                $"{layer.Split} layer '{layer.LayerName}' on {layer.Group} expects {expected} local input features " +
                $"({layer.InFeatures} in all) but got {x}.", nameof(x));
    }
}
