using System;
using System.Diagnostics;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed record ParallelContext(ProcessGroup Tp, ProcessGroup Dp, ProcessGroup World)
{
    public static ParallelContext From(DeviceMesh mesh) => new(mesh.TensorParallel, mesh.DataParallel, mesh.World);
    public bool IsMain => World.Rank == 0;
}

public sealed partial class RMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(128, 512);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(512, 128);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Gelu(Up.Forward(x)));
}

public sealed class Reducer(ProcessGroup group)
{
    public void Mean(float[] values) => group.AllReduce(values, ReduceOp.Average);
}

public static class CtxTraining
{
    public static void Step(ParallelContext ctx, RMlp m, DTensor x, DTensor dy)
    {
        var sw = Stopwatch.StartNew();
        var y = m.Forward(x);
        var g = m.Down.Backward(Ops.Gelu(m.Up.Forward(x)), dy);
        ctx.Dp.AllReduce(g.Weight, ReduceOp.Average);
        new Reducer(ctx.Dp).Mean(g.Weight);
        var elapsed = new[] { (float)sw.Elapsed.TotalMilliseconds };
        ctx.Tp.AllReduce(elapsed, ReduceOp.Max);
        var memory = new[] { (float)GC.GetTotalMemory(false) };
        ctx.Tp.AllReduce(memory, ReduceOp.Average);
        var loss = new[] { 1.5f };
        ctx.World.AllReduce(loss, ReduceOp.Average);
        if (ctx.IsMain) Console.WriteLine($"{elapsed[0]} ms, {memory[0] / 1e6} MB avg per TP rank, loss {loss[0]}");
    }

    public static void Main() => Launcher.Run(4, world =>
    {
        using var mesh = DeviceMesh.Create(world, 2, 2);
        var ctx = ParallelContext.From(mesh);
        Step(ctx, new RMlp(), null!, null!);
    });
}
