using System.Diagnostics;
using System.Globalization;
using LlamaMlpSample;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

// Runs a Llama-style MLP block dense on one rank and tensor-parallel on in-process ranks, and compares them.
//   dotnet run -c Release --project samples/LlamaMlp [-- --tokens 128 --hidden 1024 --intermediate 2752 --tp 2 --repeat 3]
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int tokens = Option("--tokens", 128), hidden = Option("--hidden", 1024), intermediate = Option("--intermediate", 2752);
int tp = Option("--tp", 2), repeat = Option("--repeat", 3);

var dense = new LlamaMlpBlock(hidden, intermediate);
Console.WriteLine(dense.GetPlan(tp, tokens));
Console.WriteLine();

var random = new Random(42);
var input = new float[tokens * hidden];
for (int i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 2 - 1);

// Dense: the same Forward on a group of one. The first call also creates the (seeded) dense weights.
var x = DTensor.FromArray(input, tokens, hidden, Placement.Replicate, SingleRankGroup.Instance);
var expected = dense.Forward(x).ToTensor().ToArray();
double denseMs = Best(repeat, () => dense.Forward(x));

// Tensor-parallel: each rank builds its own module (no dense weights) and takes its shard of the dense one. The world
// stays alive across the timed repeats, so the time is the forward alone: GEMMs, SiLU, product and the all-reduce.
var ranks = InProcessWorld.Run(tp, group =>
{
    var mlp = new LlamaMlpBlock(hidden, intermediate);
    mlp.ShardFrom(dense, group);
    var local = DTensor.FromArray(input, tokens, hidden, Placement.Replicate, group);
    var output = mlp.Forward(local).ToTensor().ToArray();
    double ms = Best(repeat, () => { group.Barrier(); mlp.Forward(local); group.Barrier(); });
    group.Counters.Reset();
    mlp.Forward(local);
    return (Output: output, Ms: ms, Collectives: group.Counters.ToString());
});

double maxDiff = ranks.Max(r => r.Output.Zip(expected, (a, b) => Math.Abs(a - b)).Max());
double tpMs = ranks.Max(r => r.Ms);
Console.WriteLine($"block: tokens={tokens}, hidden={hidden}, intermediate={intermediate}, tp={tp} (in-process ranks)");
Console.WriteLine($"max |tp - dense|          : {maxDiff:E2}");
Console.WriteLine($"collectives, one forward  : {ranks[0].Collectives} (per rank)");
Console.WriteLine($"dense forward, 1 rank     : {denseMs:F1} ms");
Console.WriteLine($"tp={tp} forward              : {tpMs:F1} ms");
Console.WriteLine($"speedup {denseMs / tpMs:F2}x, efficiency dense / (tp * tp time) = {denseMs / (tp * tpMs):F2}");
return maxDiff < 1e-3 ? 0 : 1;

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
