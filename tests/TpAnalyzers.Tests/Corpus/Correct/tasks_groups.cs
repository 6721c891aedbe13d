using System;
using System.Linq;
using System.Threading.Tasks;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

public sealed partial class TaskMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256, bias: false);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Relu(Up.Forward(x)));
    public void ShardFrom(TaskMlp dense, ProcessGroup group) { }
}

public static class TaskRanks
{
    public static async Task<float[][]> RunAsync(int tp, float[] input)
    {
        var dense = new TaskMlp();
        var groups = InProcessWorld.CreateGroups(tp);
        var tasks = groups.Select(group => Task.Factory.StartNew(() =>
        {
            var mlp = new TaskMlp();
            mlp.ShardFrom(dense, group);
            var y = mlp.Forward(DTensor.FromArray(input, input.Length / 256, 256, Placement.Replicate, group));
            return y.LocalSpan.ToArray();
        }, TaskCreationOptions.LongRunning)).ToArray();
        try
        {
            return await Task.WhenAll(tasks);
        }
        catch (CollectiveException e)
        {
            Console.Error.WriteLine($"a rank failed: {e.Message}");
            throw;
        }
        finally
        {
            foreach (var g in groups) g.Dispose();
        }
    }
}
