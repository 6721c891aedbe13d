using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class SMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(128, 512);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(512, 128);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Relu(Up.Forward(x)));
}

public sealed class Groups
{
    public ProcessGroup TensorGroup { get; }
    public ProcessGroup DataGroup { get; }
    public Groups(ProcessGroup world, int tp)
    {
        TensorGroup = world.Split(world.Rank / tp, world.Rank);
        DataGroup = world.Split(world.Rank % tp, world.Rank);
    }
}

public static class SplitTraining
{
    public static void Main() => Launcher.Run(4, world =>
    {
        var groups = new Groups(world, tp: 2);
        var model = new SMlp();
        var ps = new ParameterSet().Add("up", LayerParameters.Of(model.Up)).Add("down", LayerParameters.Of(model.Down));
        var samples = Enumerable.Range(0, 64).Select(i => new float[128]).ToArray();
        var mine = samples.Where((_, i) => i % groups.DataGroup.Size == groups.DataGroup.Rank).ToArray();
        foreach (var s in mine)
        {
            using (var tape = Tape.Start())
            {
                var y = model.Forward(DTensor.FromArray(s, 1, 128, Placement.Replicate, groups.TensorGroup));
                y.Backward();
            }
            DataParallelGradients.Average(ps, groups.DataGroup);
        }
        if (world.Rank == 0) Console.WriteLine("done");
    });
}
