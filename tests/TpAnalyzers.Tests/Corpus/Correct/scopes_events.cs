using System;
using System.Diagnostics;
using TpCodegen;
using TpCodegen.Collectives;

public sealed class StepEventArgs(int step, double milliseconds, DTensor output) : EventArgs
{
    public int Step { get; } = step;
    public double Milliseconds { get; } = milliseconds;
    public DTensor Output { get; } = output;
}

public sealed partial class ScopedMlp
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(768, 3072, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(768, 3072, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(3072, 768, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}

public sealed class Runner : IDisposable
{
    private readonly ScopedMlp _mlp = new();
    private readonly ProcessGroup _tp;
    public event EventHandler<StepEventArgs>? StepDone;
    public Action<string>? Log { get; set; }

    public Runner(ProcessGroup tp) => _tp = tp;

    public float[] Run(float[] input, int tokens, int steps)
    {
        float[] last = [];
        for (int step = 0; step < steps; step++)
        {
            var sw = Stopwatch.StartNew();
            using (StepBuffers.Enter())
            {
                var x = DTensor.FromArray(input, tokens, 768, Placement.Replicate, _tp);
                var y = _mlp.Forward(x);
                last = y.LocalSpan.ToArray();       // copy out before the scope hands the buffer back
                StepDone?.Invoke(this, new StepEventArgs(step, sw.Elapsed.TotalMilliseconds, y));
            }
            Log?.Invoke($"step {step}: {sw.Elapsed.TotalMilliseconds:F1} ms, pooled {StepBuffers.PooledBytes} B");
        }
        return last;
    }

    public void Dispose()
    {
        _mlp.Gate.Dispose();
        _mlp.Up.Dispose();
        _mlp.Down.Dispose();
    }
}

public static class Wiring
{
    public static void Main() => Launcher.Run(2, tp =>
    {
        using var runner = new Runner(tp);
        if (tp.Rank == 0)
        {
            runner.Log = Console.WriteLine;
            runner.StepDone += (_, e) => Console.WriteLine($"#{e.Step} {e.Output.Placement} first value {e.Output.LocalSpan[0]:F4}");
        }
        var y = runner.Run(new float[4 * 768], 4, steps: 3);
        tp.Barrier();
        if (tp.Rank == 0) Console.WriteLine($"done: {y.Length} values");
    });
}
