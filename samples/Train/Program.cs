using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Models;
using TpCodegen.Training;
using TrainSample;

// Trains one small Llama on the reverse task three times, from the same initial weights and batches: tp=1, tp=2 and
// dp=2 x tp=2 (in-process ranks), and plots the three loss curves on one chart. They coincide: the mesh changes where
// the numbers are computed, not what they are.
int steps = Option("--steps", 300);
string output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? "train-output";
const int Sequences = 16;
var task = new ReverseTask(symbols: 29, wordLength: 6);
var config = LlamaConfig.Small(vocabulary: task.Vocabulary, hidden: 48, intermediate: 120, layers: 2, heads: 6, kvHeads: 2);
var dense = new LlamaModel(config);
var meshes = new (string Name, int Dp, int Tp)[] { ("tp=1", 1, 1), ("tp=2", 1, 2), ("dp=2 x tp=2", 2, 2) };
var curves = new Dictionary<string, float[]>();

AnsiConsole.MarkupLine($"[bold]Reverse task[/]: {task.Vocabulary} tokens, sequences of {task.Length}, {Sequences} per step; Llama {config.Hidden} hidden, {config.Layers} layers, {config.Heads} heads ({config.KvHeads} KV)");
foreach (var (name, dp, tp) in meshes)
{
    var losses = new float[steps];
    AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
        .Start(context =>
        {
            var bar = context.AddTask(name, maxValue: steps);
            InProcessWorld.Run(dp * tp, world => Train(world, dp, tp, losses, (step, tokensPerSecond) =>
            {
                bar.Description = string.Create(CultureInfo.InvariantCulture, $"{name,-12} step {step + 1,4}  loss {losses[step],7:F4}  {tokensPerSecond,8:F0} tok/s");
                bar.Increment(1);
            }));
        });
    curves[name] = losses;
    AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: loss {losses[0]:F4} -> {losses[^1]:F4}; per step: {string.Join(" ", losses.Where((_, i) => i % Math.Max(1, steps / 10) == 0).Select(l => l.ToString("F3", CultureInfo.InvariantCulture)))}"));
}

float worst = meshes.Skip(1).Max(m => curves[m.Name].Zip(curves["tp=1"], (a, b) => Math.Abs(a - b) / Math.Max(1e-6f, Math.Abs(b))).Max());
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Largest relative difference from tp=1 over {steps} steps: {worst:E1}"));
Directory.CreateDirectory(output);
string png = Path.Combine(output, "loss.png");
LossChart.Save(png, curves);
AnsiConsole.MarkupLine($"Loss curves: [link]{Path.GetFullPath(png)}[/]");
return 0;

void Train(ProcessGroup world, int dp, int tp, float[] losses, Action<int, double> report)
{
    using var mesh = DeviceMesh.Create(world, dp, tp);
    var model = new LlamaModel(config);
    model.ShardFrom(dense, mesh.TensorParallel);
    var trainer = new Trainer(new AdamW(model.Parameters(), learningRate: 3e-3f, weightDecay: 0.01f), mesh.TensorParallel, mesh.DataParallel, maxGradientNorm: 1f);
    int perReplica = Sequences / dp, replica = mesh.DataParallel.Rank;
    var batch = SequenceBatch.Prefill(Enumerable.Repeat(task.Length, perReplica).ToArray());
    var clock = Stopwatch.StartNew();
    for (int step = 0; step < steps; step++)
    {
        var (ids, targets) = task.Batch(step, Sequences, VocabParallelCrossEntropy.DefaultIgnoreIndex);
        var mine = new Range(replica * perReplica * task.Length, (replica + 1) * perReplica * task.Length);
        float loss = trainer.Step(() => model.Loss(ids[mine], targets[mine], batch)).Loss;
        if (world.Rank != 0) continue;
        losses[step] = loss;
        report(step, (step + 1) * (double)Sequences * task.Length / clock.Elapsed.TotalSeconds);
    }
}

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
