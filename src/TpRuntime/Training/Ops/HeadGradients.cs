using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TpCodegen.Training;

/// <summary>
/// The inner loop of attention's backward for one query row and head, over its keys, on whole vectors as
/// <see cref="HeadVectors"/> runs the forward's (the scores it recomputes come from there too).
/// </summary>
internal static class HeadGradients
{
    /// <summary>
    /// For keys <c>j</c> in <c>[0, count)</c> at <c>first + j * stride</c> of <paramref name="keys"/>: <c>dV_j += p_j dO</c>,
    /// <c>dQ += ds_j K_j</c> and <c>dK_j += ds_j Q</c>, with <c>ds_j = p_j (dp_j - weighted) scale</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate(ReadOnlySpan<float> query, ReadOnlySpan<float> gradOut, Span<float> dQuery,
        ReadOnlySpan<float> keys, Span<float> dKeys, Span<float> dValues, int first, int stride, int count,
        ReadOnlySpan<float> p, ReadOnlySpan<float> dp, float weighted, float scale)
    {
        int width = query.Length;
        if (width % Vector<float>.Count != 0)
        {
            for (int j = 0; j < count; j++)
            {
                int at = first + j * stride;
                var dValue = dValues.Slice(at, width);
                TensorPrimitives.MultiplyAdd(gradOut, p[j], dValue, dValue);
                float ds = p[j] * (dp[j] - weighted) * scale;
                TensorPrimitives.MultiplyAdd(keys.Slice(at, width), ds, dQuery, dQuery);
                var dKey = dKeys.Slice(at, width);
                TensorPrimitives.MultiplyAdd(query, ds, dKey, dKey);
            }
            return;
        }
        var q = MemoryMarshal.Cast<float, Vector<float>>(query);
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradOut);
        var dq = MemoryMarshal.Cast<float, Vector<float>>(dQuery);
        for (int j = 0; j < count; j++)
        {
            int at = first + j * stride;
            var k = MemoryMarshal.Cast<float, Vector<float>>(keys.Slice(at, width));
            var dk = MemoryMarshal.Cast<float, Vector<float>>(dKeys.Slice(at, width));
            var dv = MemoryMarshal.Cast<float, Vector<float>>(dValues.Slice(at, width));
            var pj = new Vector<float>(p[j]);
            var ds = new Vector<float>(p[j] * (dp[j] - weighted) * scale);
            for (int v = 0; v < q.Length; v++)
            {
                dv[v] += pj * g[v];
                dq[v] += ds * k[v];
                dk[v] += ds * q[v];
            }
        }
    }
}
