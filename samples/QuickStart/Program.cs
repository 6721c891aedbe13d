// QuickStart: the runtime's primitives by hand. Two in-process ranks split one dense linear layer by its input
// features (a row split), each multiplies its slice, and an all-reduce sums the partial results. The generator
// writes this for you (see samples/LlamaMlp); here every step is visible. `dotnet run` runs both ranks as threads
// of one process; `mpiexec -n 2 dotnet QuickStart.dll` runs them as two MPI processes, unchanged.
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Kernels;

const int ranks = 2, tokens = 4, inFeatures = 6, outFeatures = 3;

var dense = new Linear(inFeatures, outFeatures, bias: true, seed: 1);
var x = Tensor.Create(Enumerable.Range(0, tokens * inFeatures).Select(i => MathF.Sin(i)).ToArray(), [tokens, inFeatures]);
var reference = dense.Forward(x);
Console.WriteLine($"Dense {dense}: x [{tokens}, {inFeatures}] -> y [{tokens}, {outFeatures}]");

var expected = new float[reference.FlattenedLength];
reference.FlattenTo(expected);

Launcher.Run(ranks, group =>
{
    var clock = Stopwatch.StartNew();
    int slice = inFeatures / group.Size, first = group.Rank * slice;

    // This rank's rows of W and columns of x.
    var weight = dense.Weight.AsSpan(first * outFeatures, slice * outFeatures);
    var input = new float[tokens * slice];
    for (int t = 0; t < tokens; t++)
        for (int i = 0; i < slice; i++) input[t * slice + i] = x[t, first + i];

    // The partial sum: no bias yet, or it would be added once per rank.
    var partial = new float[tokens * outFeatures];
    Gemm.Multiply(input, weight, partial, tokens, slice, outFeatures);
    group.AllReduce(partial);
    for (int t = 0; t < tokens; t++)
        TensorPrimitives.Add(partial.AsSpan(t * outFeatures, outFeatures), dense.Bias, partial.AsSpan(t * outFeatures, outFeatures));

    clock.Stop();

    float maxDifference = 0;
    for (int i = 0; i < expected.Length; i++) maxDifference = MathF.Max(maxDifference, MathF.Abs(expected[i] - partial[i]));
    Console.WriteLine(
        $"rank {group.Rank} ({Launcher.BackendName}): W rows [{first}, {first + slice}) -> partial [{tokens}, {outFeatures}], " +
        $"{group.Counters}, max |sharded - dense| = {maxDifference.ToString("0.00e+0", CultureInfo.InvariantCulture)}, " +
        $"{clock.Elapsed.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture)} ms");
});
