using TpCodegen.Collectives;

namespace TpCodegen.Training;

/// <summary>
/// Averages gradients over a data-parallel group: each replica computed them on its own slice of the batch. Gradients are
/// copied into buckets of <c>bucketFloats</c> and each bucket is one all-reduce, so a model of many small parameters
/// costs a few large calls. Only the data-parallel group reduces: a shard's gradient never crosses the tensor-parallel
/// group, because every data-parallel peer of a rank holds the same shard.
/// </summary>
public static class DataParallelGradients
{
    /// <summary>Default bucket: 4 Mi floats (16 MiB), in the range DDP and Megatron use.</summary>
    public const int DefaultBucketFloats = 4 << 20;

    /// <summary>All-reduces the average of every gradient over <paramref name="dataParallel"/>; returns the number of calls (buckets).</summary>
    public static int Average(ParameterSet parameters, ProcessGroup dataParallel, int bucketFloats = DefaultBucketFloats)
    {
        ArgumentNullException.ThrowIfNull(dataParallel);
        return Sum(parameters, dataParallel, 1f / dataParallel.Size, bucketFloats);
    }

    /// <summary>
    /// All-reduces the sum over <paramref name="dataParallel"/> of every gradient times this replica's
    /// <paramref name="weight"/> (its share of the batch's counted tokens); returns the number of calls (buckets).
    /// </summary>
    public static int Sum(ParameterSet parameters, ProcessGroup dataParallel, float weight, int bucketFloats = DefaultBucketFloats)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(dataParallel);
        if (bucketFloats < 1) throw new ArgumentOutOfRangeException(nameof(bucketFloats), bucketFloats, "A bucket holds at least one float.");
        if (dataParallel.Size == 1)
        {
            // One replica: the sum is its own gradient, weighted; no call.
            if (weight != 1f)
                foreach (var item in parameters.Items) System.Numerics.Tensors.TensorPrimitives.Multiply(item.Parameter.Grad, weight, item.Parameter.Grad);
            return 0;
        }
        long total = parameters.LocalValues;
        var bucket = new float[(int)Math.Min(bucketFloats, Math.Max(total, 1))];
        int calls = 0;
        // The parameters as one stream of floats, cut into buckets: a bucket may hold the end of one and the start of the next.
        for (long start = 0; start < total; start += bucket.Length)
        {
            int length = (int)Math.Min(bucket.Length, total - start);
            var window = bucket.AsSpan(0, length);
            Copy(parameters, start, window, toBucket: true);
            System.Numerics.Tensors.TensorPrimitives.Multiply(window, weight, window);
            dataParallel.AllReduce(window);
            Copy(parameters, start, window, toBucket: false);
            calls++;
        }
        return calls;
    }

    /// <summary>Buckets one call of <see cref="Average"/> makes for <paramref name="parameters"/>.</summary>
    public static int Buckets(ParameterSet parameters, int dataParallelSize, int bucketFloats = DefaultBucketFloats) =>
        dataParallelSize == 1 ? 0 : (int)((parameters.LocalValues + bucketFloats - 1) / bucketFloats);

    private static void Copy(ParameterSet parameters, long start, Span<float> window, bool toBucket)
    {
        long offset = 0;
        foreach (var item in parameters.Items)
        {
            var grad = item.Parameter.Grad;
            long end = offset + grad.Length;
            if (end > start && offset < start + window.Length)
            {
                int from = (int)Math.Max(0, start - offset);
                int to = (int)Math.Min(grad.Length, start + window.Length - offset);
                var gradPart = grad.AsSpan(from, to - from);
                var bucketPart = window.Slice((int)(offset + from - start), to - from);
                if (toBucket) gradPart.CopyTo(bucketPart);
                else bucketPart.CopyTo(gradPart);
            }
            offset = end;
        }
    }
}
