using System.Diagnostics;
using System.Globalization;
using LlamaMlpSample;
using TpCodegen;
using TpCodegen.Collectives;

// Runs a Llama-style MLP block dense on one rank and tensor-parallel, and compares them. The ranks are threads of this
// process by default, or MPI processes when started by mpiexec (the same program, unchanged):
//   dotnet run -c Release --project samples/LlamaMlp [-- --tokens 128 --hidden 1024 --intermediate 2752 --tp 2 --repeat 3]
//   mpiexec -n 2 dotnet samples/LlamaMlp/bin/Release/net10.0/LlamaMlp.dll
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int tokens = Option("--tokens", 128), hidden = Option("--hidden", 1024), intermediate = Option("--intermediate", 2752);
int tp = Option("--tp", 2), repeat = Option("--repeat", 3);

var dense = new LlamaMlpBlock(hidden, intermediate);

var random = new Random(42);
var input = new float[tokens * hidden];
for (int i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 2 - 1);

// Dense: the same Forward on a group of one. The first call also creates the (seeded) dense weights; every process
// builds the same ones, so under MPI each rank can cut its shard from its own copy.
var x = DTensor.FromArray(input, tokens, hidden, Placement.Replicate, SingleRankGroup.Instance);
var expected = dense.Forward(x).ToTensor().ToArray();
double denseMs = Best(repeat, () => dense.Forward(x));

int exitCode = 0;
Launcher.Run(tp, group =>
{
    // Each rank builds its own module (no dense weights) and takes its shard of the dense one. The ranks stay alive
    // across the timed repeats, so the time is the forward alone: GEMMs, SiLU, product and the all-reduce.
    var mlp = new LlamaMlpBlock(hidden, intermediate);
    mlp.ShardFrom(dense, group);
    var local = DTensor.FromArray(input, tokens, hidden, Placement.Replicate, group);
    var output = mlp.Forward(local).ToTensor().ToArray();
    double ms = Best(repeat, () => { group.Barrier(); mlp.Forward(local); group.Barrier(); });
    group.Counters.Reset();
    mlp.Forward(local);
    string collectives = group.Counters.ToString();

    // The slowest rank sets the pace, and the worst rank the error.
    float[] worst = [(float)ms, output.Zip(expected, (a, b) => MathF.Abs(a - b)).Max()];
    group.AllReduce(worst, ReduceOp.Max);
    if (group.Rank != 0) return;

    double tpMs = worst[0], maxDiff = worst[1];
    Console.WriteLine(mlp.GetPlan(tp, tokens));
    Console.WriteLine();
    Console.WriteLine($"block: tokens={tokens}, hidden={hidden}, intermediate={intermediate}, tp={tp} ({Launcher.BackendName} ranks)");
    Console.WriteLine($"max |tp - dense|          : {maxDiff:E2}");
    Console.WriteLine($"collectives, one forward  : {collectives} (per rank)");
    Console.WriteLine($"dense forward, 1 rank     : {denseMs:F1} ms");
    Console.WriteLine($"tp={tp} forward              : {tpMs:F1} ms");
    Console.WriteLine($"speedup {denseMs / tpMs:F2}x, efficiency dense / (tp * tp time) = {denseMs / (tp * tpMs):F2}");
    if (maxDiff >= 1e-3) exitCode = 1;
});
return exitCode;

// Best of n runs after one warm-up: the least disturbed by other work on a shared machine.
static double Best(int n, Action run)
{
    run();
    double best = double.MaxValue;
    for (int i = 0; i < n; i++)
    {
        var watch = Stopwatch.StartNew();
        run();
        best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
    }
    return best;
}

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
