using System.Globalization;
using Spectre.Console;
using TpCodegen.Models;
using TrainSample;

// Trains one small Llama on the reverse task four times, from the same initial weights and batches: tp=1, tp=2,
// dp=2 x tp=2 and tp=2 with sequence parallelism (in-process ranks), and plots the loss curves on one chart. They
// coincide: the mesh changes where the numbers are computed, not what they are.
int steps = Option("--steps", 300);
string output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? "train-output";
var task = ReverseTraining.Task;
var config = ReverseTraining.Config;
var dense = new LlamaModel(config);
var denseSequenceParallel = dense.ToDense(sequenceParallel: true);
var meshes = new (string Name, int Dp, int Tp, bool SequenceParallel)[]
{
    ("tp=1", 1, 1, false), ("tp=2", 1, 2, false), ("dp=2 x tp=2", 2, 2, false), ("tp=2 seq-par", 1, 2, true),
};
var curves = new Dictionary<string, float[]>();

AnsiConsole.MarkupLine($"[bold]Reverse task[/]: {task.Vocabulary} tokens, sequences of {task.Length}, {ReverseTraining.Sequences} per step; Llama {config.Hidden} hidden, {config.Layers} layers, {config.Heads} heads ({config.KvHeads} KV)");
foreach (var (name, dp, tp, sequenceParallel) in meshes)
{
    float[] losses = [];
    AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
        .Start(context =>
        {
            var bar = context.AddTask(name, maxValue: steps);
            losses = ReverseTraining.Run(sequenceParallel ? denseSequenceParallel : dense, dp, tp, steps, (step, loss, tokensPerSecond) =>
            {
                bar.Description = string.Create(CultureInfo.InvariantCulture, $"{name,-12} step {step + 1,4}  loss {loss,7:F4}  {tokensPerSecond,8:F0} tok/s");
                bar.Increment(1);
            });
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

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
