using System;
using System.Linq;
using System.Numerics.Tensors;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

public sealed partial class CmpMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(128, 512);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(512, 128);
    [TensorParallel(Split.Column, GatherOutput = true)] public Linear Wide { get; } = new(128, 512);
    public DTensor Forward(DTensor x) => Ops.AllReduce(Down.Forward(Ops.Gelu(Up.Forward(x))));
    public DTensor Hidden(DTensor x) => Up.Forward(x);
    public DTensor PartialOut(DTensor x) => Down.Forward(Ops.Gelu(Up.Forward(x)));
    public void ShardFrom(CmpMlp dense, ProcessGroup group) { }
}

public static class ShardedVsDense
{
    public static bool Check(int tp)
    {
        var dense = new CmpMlp();
        var input = Enumerable.Range(0, 4 * 128).Select(i => (float)Math.Cos(i * 0.1)).ToArray();
        var single = InProcessWorld.CreateGroups(1)[0];
        var reference = dense.Forward(DTensor.FromArray(input, 4, 128, Placement.Replicate, single)).ToTensor();
        var referenceHidden = dense.Hidden(DTensor.FromArray(input, 4, 128, Placement.Replicate, single)).ToTensor();

        var results = InProcessWorld.Run(tp, group =>
        {
            var mlp = new CmpMlp();
            mlp.ShardFrom(dense, group);
            var x = DTensor.FromArray(input, 4, 128, Placement.Replicate, group);
            var y = mlp.Forward(x).ToTensor();
            var hidden = mlp.Hidden(x).FullTensor();                 // gathers the column shards
            var summed = mlp.PartialOut(x).FullTensor();             // reduces the partial sums
            var wide = mlp.Wide.Forward(x).ToTensor();               // already gathered
            float err = MaxAbs(y.ToArray(), reference.ToArray());
            err = MathF.Max(err, MaxAbs(hidden.ToArray(), referenceHidden.ToArray()));
            err = MathF.Max(err, MaxAbs(summed.ToArray(), reference.ToArray()));
            return (err, wide.FlattenedLength);
        });
        foreach (var (err, n) in results) Console.WriteLine($"tp={tp}: max error {err:E2} ({n} gathered values)");
        return results.All(r => r.err < 1e-4f);

        static float MaxAbs(float[] a, float[] b)
        {
            var diff = new float[a.Length];
            TensorPrimitives.Subtract(a, b, diff);
            return TensorPrimitives.MaxMagnitude(diff);
        }
    }

    public static void Main()
    {
        foreach (var tp in new[] { 1, 2, 4 })
            if (!Check(tp)) throw new Exception($"tp={tp} differs from dense");
    }
}
