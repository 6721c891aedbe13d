using System.Numerics.Tensors;

namespace TpCodegen.Training;

/// <summary>
/// The gradients of RMSNorm and LayerNorm, per token, recomputing the forward's statistics. Their weights are replicated:
/// on a replicated input every rank computes the same weight gradient, so none is reduced; on a token shard (sequence
/// parallelism) each rank's part is all-reduced over the group.
/// </summary>
internal static class NormsOnTape
{
    /// <summary>y = x r w, r = 1/sqrt(mean(x^2) + eps): dw += g x r; dx = r (g w) - x r^3 mean(g w x).</summary>
    public static void RecordRms(RmsNorm norm, DTensor x, DTensor y)
    {
        if (Tape.Active is not { } tape) return;
        RecordRmsOn(tape, norm, x, y);
    }

    // Each Record* checks for a tape and hands over to its *On twin: the lambdas capture the arguments, and a method
    // holding them allocates their closure on entry, recording or not (these hooks run on every op of every decode step).
    private static void RecordRmsOn(Tape tape, RmsNorm norm, DTensor x, DTensor y)
    {
        tape.Record(y, g =>
        {
            int n = norm.Features;
            var weight = LayerParameters.Of(norm);
            var dx = new float[x.LocalSpan.Length];
            var gw = new float[n];
            var dw = new float[n];
            for (int t = 0; t < x.Tokens; t++)
            {
                var row = x.LocalSpan.Slice(t * n, n);
                var gRow = g.LocalSpan.Slice(t * n, n);
                float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(row) / n + norm.Epsilon);
                for (int f = 0; f < n; f++) dw[f] += gRow[f] * row[f] * r;
                TensorPrimitives.Multiply(gRow, norm.Weight, gw);
                float mean = TensorPrimitives.Dot(gw, row) / n;
                var target = dx.AsSpan(t * n, n);
                for (int f = 0; f < n; f++) target[f] = r * gw[f] - row[f] * r * r * r * mean;
            }
            AccumulateWeight(x, weight, dw);
            tape.Accumulate(x, dx);
        });
    }

    /// <summary>y = xhat w + b, xhat = (x - mean) r: dw += g xhat, db += g, dx = r (gw - mean(gw) - xhat mean(gw xhat)).</summary>
    public static void RecordLayer(LayerNorm norm, DTensor x, DTensor y)
    {
        if (Tape.Active is not { } tape) return;
        RecordLayerOn(tape, norm, x, y);
    }

    private static void RecordLayerOn(Tape tape, LayerNorm norm, DTensor x, DTensor y)
    {
        tape.Record(y, g =>
        {
            int n = norm.Features;
            var parameters = LayerParameters.Of(norm);
            var (weight, bias) = (parameters[0], parameters[1]);
            var dx = new float[x.LocalSpan.Length];
            var xhat = new float[n];
            var gw = new float[n];
            var dw = new float[n];
            var db = new float[n];
            for (int t = 0; t < x.Tokens; t++)
            {
                var row = x.LocalSpan.Slice(t * n, n);
                var gRow = g.LocalSpan.Slice(t * n, n);
                float mean = TensorPrimitives.Sum(row) / n;
                TensorPrimitives.Subtract(row, mean, xhat);
                float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xhat) / n + norm.Epsilon);
                TensorPrimitives.Multiply(xhat, r, xhat);
                for (int f = 0; f < n; f++) dw[f] += gRow[f] * xhat[f];
                TensorPrimitives.Add(db, gRow, db);
                TensorPrimitives.Multiply(gRow, norm.Weight, gw);
                float meanGw = TensorPrimitives.Sum(gw) / n, meanGwX = TensorPrimitives.Dot(gw, xhat) / n;
                var target = dx.AsSpan(t * n, n);
                for (int f = 0; f < n; f++) target[f] = r * (gw[f] - meanGw - xhat[f] * meanGwX);
            }
            AccumulateWeight(x, weight, dw);
            AccumulateWeight(x, bias, db);
            tape.Accumulate(x, dx);
        });
    }

    // On a token shard (sequence parallelism) each rank saw only its tokens: the replicated weight's gradient is the sum
    // over the group, one all-reduce. Forgetting it trains each rank's copy on its own tokens (gpt-neox #1257, Megatron #1446).
    private static void AccumulateWeight(DTensor x, Parameter parameter, float[] gradient)
    {
        if (x.Placement is ShardPlacement { Dim: -2 }) x.Group.AllReduce(gradient);
        parameter.Accumulate(gradient);
    }
}
