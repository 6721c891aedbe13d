using TpCodegen.Collectives;

namespace TpCodegen.MpiDriver;

/// <summary>
/// The generated sharded layers across MPI processes: each rank builds the dense module (same seeds, so the same
/// weights in every process), takes its shard over the whole world as the tensor-parallel group, and compares the
/// sharded forward with the dense one it computes alone. The MLP block must cost exactly one all-reduce.
/// </summary>
internal sealed class LayerChecks(ProcessGroup world, CheckReporter reporter)
{
    // Not powers of two, and divisible by 2 and 4 (the -n the tests use).
    private static readonly (int Tokens, int In, int Out)[] Shapes = [(5, 12, 36), (33, 96, 48), (1, 12, 36)];

    public void RunAll()
    {
        foreach (var (tokens, inFeatures, outFeatures) in Shapes)
        {
            string shape = $"{tokens}x{inFeatures}x{outFeatures}";
            var x = Input(tokens, inFeatures);

            var column = new ColumnModule(inFeatures, outFeatures);
            var columnShard = new ColumnModule(inFeatures, outFeatures);
            columnShard.ShardFrom(column, world);
            var sharded = columnShard.Layer.Forward(Replicated(x, tokens, inFeatures));
            reporter.Report($"column {shape}", Compare(Dense(column.Layer, x, tokens), sharded.FullTensor().ToArray()));

            var gather = new ColumnGatherModule(inFeatures, outFeatures);
            var gatherShard = new ColumnGatherModule(inFeatures, outFeatures);
            gatherShard.ShardFrom(gather, world);
            reporter.Report($"column gather {shape}",
                Compare(Dense(gather.Layer, x, tokens), gatherShard.Layer.Forward(Replicated(x, tokens, inFeatures)).ToTensor().ToArray()));

            var row = new RowModule(inFeatures, outFeatures);
            var rowShard = new RowModule(inFeatures, outFeatures);
            rowShard.ShardFrom(row, world);
            reporter.Report($"row {shape}",
                Compare(Dense(row.Layer, x, tokens), rowShard.Layer.Forward(Replicated(x, tokens, inFeatures)).ToTensor().ToArray()));

            Backward(shape, "column", column.Layer, columnShard.Layer, x, tokens);
            Backward(shape, "row", row.Layer, rowShard.Layer, x, tokens);

            var mlp = new LlamaMlp(inFeatures, outFeatures);
            var mlpShard = new LlamaMlp(inFeatures, outFeatures);
            mlpShard.ShardFrom(mlp, world);
            var expected = mlp.Forward(DTensor.FromArray((float[])x.Clone(), tokens, inFeatures, Placement.Replicate, SingleRankGroup.Instance)).ToTensor().ToArray();
            world.Counters.Reset();
            var actual = mlpShard.Forward(Replicated(x, tokens, inFeatures)).ToTensor().ToArray();
            long allReduces = world.Counters.Calls(CollectiveKind.AllReduce), dataCalls = world.Counters.DataCalls;
            string? failure = Compare(expected, actual)
                ?? (allReduces == 1 && dataCalls == 1 ? null : $"one forward ran {world.Counters}, expected exactly one all-reduce");
            reporter.Report($"llama mlp {shape} one allreduce", failure);
        }
    }

    /// <summary>
    /// The sharded backward against the dense one computed here in double precision: the input gradient (gathered),
    /// this rank's block of the weight gradient and the bias gradient. Column costs one all-reduce, Row none.
    /// </summary>
    private void Backward(string shape, string split, Linear dense, Linear sharded, float[] x, int tokens)
    {
        int k = dense.InFeatures, n = dense.OutFeatures, tp = world.Size, rank = world.Rank;
        var random = new Random(tokens * 7 + n);
        var dy = Enumerable.Range(0, tokens * n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var dx = new float[tokens * k];
        var dw = new float[k * n];
        var db = new float[n];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < n; j++)
            {
                db[j] += dy[t * n + j];
                for (int p = 0; p < k; p++)
                {
                    dx[t * k + p] += (float)((double)dy[t * n + j] * dense.Weight[p * n + j]);
                    dw[p * n + j] += (float)((double)x[t * k + p] * dy[t * n + j]);
                }
            }

        var shard = sharded.Shard!;
        bool column = shard.Split == Split.Column;
        var input = Replicated(x, tokens, k).Redistribute(Placement.FromKind(shard.InputPlacement));
        var gradOutput = Replicated(dy, tokens, n).Redistribute(Placement.FromKind(shard.OutputPlacement));
        world.Counters.Reset();
        var gradients = sharded.Backward(input, gradOutput);
        // Column: dX is a partial sum, one all-reduce. Row: none, but a replicated input wants dX gathered back.
        var expected = (AllReduce: column ? 1 : 0, AllGather: !column && shard.InputPlacement == PlacementKind.Replicate ? 1 : 0);
        var counted = (AllReduce: (int)world.Counters.Calls(CollectiveKind.AllReduce), AllGather: (int)world.Counters.Calls(CollectiveKind.AllGather));
        bool onlyThose = world.Counters.DataCalls == expected.AllReduce + expected.AllGather;

        // This rank's block of the dense weight gradient: columns for Column, rows for Row.
        var expectedWeight = column
            ? Enumerable.Range(0, k).SelectMany(p => dw.Skip(p * n + rank * (n / tp)).Take(n / tp)).ToArray()
            : dw.Skip(rank * (k / tp) * n).Take(k / tp * n).ToArray();
        var expectedBias = column ? db.Skip(rank * (n / tp)).Take(n / tp).ToArray() : db;
        string? failure = Compare(dx, gradients.Input.FullTensor().ToArray())
            ?? Compare(expectedWeight, gradients.Weight)
            ?? Compare(expectedBias, gradients.Bias ?? [])
            ?? (counted == expected && onlyThose ? null
                : $"backward ran {world.Counters}, expected {expected.AllReduce} all-reduce(s) and {expected.AllGather} all-gather(s)");
        reporter.Report($"{split} backward {shape}", failure);
    }

    private DTensor Replicated(float[] x, int tokens, int features) =>
        DTensor.FromArray((float[])x.Clone(), tokens, features, Placement.Replicate, world);

    private static float[] Input(int tokens, int features)
    {
        var random = new Random(tokens * 1000 + features);
        return Enumerable.Range(0, tokens * features).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>x @ W + b in double precision, independent of the GEMM under test.</summary>
    private static float[] Dense(Linear layer, float[] x, int tokens)
    {
        int k = layer.InFeatures, n = layer.OutFeatures;
        var y = new float[tokens * n];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < n; j++)
            {
                double sum = layer.Bias is { } bias ? bias[j] : 0;
                for (int p = 0; p < k; p++) sum += (double)x[t * k + p] * layer.Weight[p * n + j];
                y[t * n + j] = (float)sum;
            }
        return y;
    }

    private static string? Compare(float[] expected, float[] actual)
    {
        if (expected.Length != actual.Length) return $"{actual.Length} values, expected {expected.Length}";
        double scale = Math.Max(1, expected.Max(v => Math.Abs((double)v)));
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs((double)expected[i] - actual[i]) / scale > 1e-5)
                return $"element {i} is {actual[i]}, expected {expected[i]}";
        return null;
    }
}
