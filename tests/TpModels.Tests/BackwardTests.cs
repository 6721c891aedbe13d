using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests;

/// <summary>
/// Every generated layer variant's backward, on in-process ranks, equals the dense gradients (dX = dY W^T,
/// dW = X^T dY, db = column sums of dY, computed here in double precision without Gemm), each rank holding its slice
/// of dW and db, and runs exactly the collectives the split needs: Column one all-reduce, Row none (one all-gather
/// when its input was replicated).
/// </summary>
public sealed class BackwardTests
{
    private static readonly (int Tokens, int In, int Out)[] s_shapes = [(5, 12, 36), (33, 96, 48), (1, 12, 36)];
    private static readonly int[] s_degrees = [1, 2, 3, 4];

    public static TheoryData<string, bool> Variants() => LayerVariantTests.Variants();

    [Theory]
    [MemberData(nameof(Variants))]
    public void Sharded_backward_equals_dense(string variant, bool bias)
    {
        foreach (var (tokens, inFeatures, outFeatures) in s_shapes)
        {
            var dense = LayerVariantTests.Create(variant, inFeatures, outFeatures, bias);
            var layer = LayerVariantTests.DenseLayer(dense);
            var x = Reference.Input(tokens, inFeatures, seed: tokens + inFeatures);
            var dy = Reference.Input(tokens, outFeatures, seed: tokens + outFeatures + 1000);
            var (dxExpected, dwExpected, dbExpected) = DenseGradients(x, dy, layer.Weight, tokens, inFeatures, outFeatures, bias);

            foreach (int tp in s_degrees)
            {
                string what = $"{variant} bias={bias} [{tokens}, {inFeatures} -> {outFeatures}] tp={tp}";
                var results = InProcessWorld.Run(tp, group =>
                {
                    var module = LayerVariantTests.Create(variant, inFeatures, outFeatures, bias);
                    ((dynamic)module).ShardFrom((dynamic)dense, group);
                    var shard = LayerVariantTests.DenseLayer(module).Shard!;
                    var full = DTensor.FromArray((float[])x.Clone(), tokens, inFeatures, Placement.Replicate, group);
                    var input = shard.InputPlacement == PlacementKind.ShardLast ? full.Redistribute(Placement.Shard(-1)) : full;
                    var fullGradient = DTensor.FromArray((float[])dy.Clone(), tokens, outFeatures, Placement.Replicate, group);
                    // A Shard(-1) output's gradient is sharded the same way; a Replicate or partial-sum output's is the full dY.
                    var gradOutput = shard.OutputPlacement == PlacementKind.ShardLast ? fullGradient.Redistribute(Placement.Shard(-1)) : fullGradient;

                    group.Counters.Reset();
                    var gradients = LayerVariantTests.DenseLayer(module).Backward(input, gradOutput);
                    var counts = Enum.GetValues<CollectiveKind>().ToDictionary(kind => kind, kind => group.Counters.Calls(kind));
                    Assert.Equal(input.Placement, gradients.Input.Placement);
                    return (Split: shard.Split, InputIsParallel: shard.InputPlacement == PlacementKind.ShardLast, Counts: counts,
                            Dx: gradients.Input.FullTensor().ToArray(), gradients.Weight, gradients.Bias);
                });

                for (int rank = 0; rank < tp; rank++)
                {
                    var r = results[rank];
                    string at = $"{what} rank {rank}";
                    Reference.AssertClose(dxExpected, r.Dx, at + " dX");
                    bool column = r.Split == Split.Column;
                    Reference.AssertClose(column ? Columns(dwExpected, inFeatures, outFeatures, rank, tp) : Rows(dwExpected, inFeatures, outFeatures, rank, tp),
                        r.Weight, at + " dW");
                    if (bias)
                    {
                        Assert.NotNull(r.Bias);
                        Reference.AssertClose(column ? Columns(dbExpected!, 1, outFeatures, rank, tp) : dbExpected!, r.Bias!, at + " db");
                    }
                    else
                    {
                        Assert.Null(r.Bias);
                    }

                    long expectedReduces = column ? 1 : 0;
                    long expectedGathers = !column && !r.InputIsParallel ? 1 : 0;
                    foreach (var (kind, calls) in r.Counts)
                    {
                        long expected = kind switch
                        {
                            CollectiveKind.AllReduce => expectedReduces,
                            CollectiveKind.AllGather => expectedGathers,
                            _ => 0,
                        };
                        Assert.True(expected == calls, $"{at}: {calls} {kind} call(s), expected {expected}.");
                    }
                }
            }
        }
    }

    [Fact]
    public void Dense_backward_equals_the_reference()
    {
        const int tokens = 7, inFeatures = 12, outFeatures = 20;
        var layer = new Linear(inFeatures, outFeatures, bias: true, seed: 11);
        var x = Reference.Input(tokens, inFeatures, seed: 1);
        var dy = Reference.Input(tokens, outFeatures, seed: 2);
        var (dx, dw, db) = DenseGradients(x, dy, layer.Weight, tokens, inFeatures, outFeatures, bias: true);
        var gradients = InProcessWorld.Run(1, group => layer.Backward(
            DTensor.FromArray(x, tokens, inFeatures, Placement.Replicate, group),
            DTensor.FromArray(dy, tokens, outFeatures, Placement.Replicate, group)))[0];
        Reference.AssertClose(dx, gradients.Input.ToTensor().ToArray(), "dense dX");
        Reference.AssertClose(dw, gradients.Weight, "dense dW");
        Reference.AssertClose(db!, gradients.Bias!, "dense db");
    }

    [Fact]
    public void Backward_refuses_a_gradient_with_the_wrong_placement()
    {
        var dense = new ColumnModule(12, 36, bias: true);
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            var module = new ColumnModule(12, 36, bias: true);
            module.ShardFrom(dense, group);
            module.Layer.Backward(DTensor.FromArray(new float[12], 1, 12, Placement.Replicate, group),
                                  DTensor.FromArray(new float[36], 1, 36, Placement.Replicate, group));
        }));
        Assert.IsType<PlacementException>(error.InnerException);
        Assert.Contains("Column layer 'Layer' backward takes a Shard(-1) output gradient but got Replicate", error.InnerException!.Message);
    }

    [Fact]
    public void The_gradient_of_a_partial_sum_output_must_be_the_full_gradient()
    {
        var dense = new RowPartialModule(12, 36, bias: true);
        var error = Assert.Throws<RankFailedException>(() => InProcessWorld.Run(2, group =>
        {
            var module = new RowPartialModule(12, 36, bias: true);
            module.ShardFrom(dense, group);
            module.Layer.Backward(DTensor.FromArray(new float[6], 1, 6, Placement.Shard(-1), group),
                                  DTensor.FromArray(new float[36], 1, 36, Placement.Partial(ReduceOp.Sum), group));
        }));
        Assert.IsType<PlacementException>(error.InnerException);
        Assert.Contains("the gradient of a partial-sum output is the full gradient", error.InnerException!.Message);
    }

    /// <summary>dX = dY W^T, dW = X^T dY, db = column sums of dY, in double precision, with naive loops.</summary>
    private static (float[] Dx, float[] Dw, float[]? Db) DenseGradients(float[] x, float[] dy, float[] w, int tokens, int k, int n, bool bias)
    {
        var dx = new float[tokens * k];
        for (int t = 0; t < tokens; t++)
            for (int p = 0; p < k; p++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += (double)dy[t * n + j] * w[p * n + j];
                dx[t * k + p] = (float)sum;
            }
        var dw = new float[k * n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int t = 0; t < tokens; t++) sum += (double)x[t * k + p] * dy[t * n + j];
                dw[p * n + j] = (float)sum;
            }
        float[]? db = null;
        if (bias)
        {
            db = new float[n];
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int t = 0; t < tokens; t++) sum += dy[t * n + j];
                db[j] = (float)sum;
            }
        }
        return (dx, dw, db);
    }

    /// <summary>Rank <paramref name="rank"/>'s block of columns of a row-major <c>[rows, columns]</c> matrix.</summary>
    private static float[] Columns(float[] m, int rows, int columns, int rank, int tp)
    {
        int local = columns / tp;
        var block = new float[rows * local];
        for (int r = 0; r < rows; r++) m.AsSpan(r * columns + rank * local, local).CopyTo(block.AsSpan(r * local, local));
        return block;
    }

    /// <summary>Rank <paramref name="rank"/>'s block of rows of a row-major <c>[rows, columns]</c> matrix.</summary>
    private static float[] Rows(float[] m, int rows, int columns, int rank, int tp)
    {
        int local = rows / tp;
        return m.AsSpan(rank * local * columns, local * columns).ToArray();
    }
}
