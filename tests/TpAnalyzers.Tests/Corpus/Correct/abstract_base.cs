using System;
using TpCodegen;
using TpCodegen.Collectives;

public abstract class Module
{
    public abstract DTensor Forward(DTensor x);
    public virtual string Describe() => GetType().Name;
}

public sealed partial class ColumnRowMlp : Module
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(128, 512);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(512, 128);
    public override DTensor Forward(DTensor x) => Down.Forward(Ops.Gelu(Up.Forward(x)));
}

public sealed class Identity : Module
{
    public override DTensor Forward(DTensor x) => x;
}

public sealed class Residual(Module inner, RmsNorm norm) : Module
{
    public override DTensor Forward(DTensor x) => x + inner.Forward(norm.Forward(x));
}

public sealed class Sequential(params Module[] modules) : Module
{
    public override DTensor Forward(DTensor x)
    {
        foreach (var m in modules) x = m.Forward(x);
        return x;
    }
}

public static class Build
{
    public static Module Make(bool useMlp) => new Sequential(
        new Residual(useMlp ? new ColumnRowMlp() : new Identity(), new RmsNorm(128)),
        new Residual(new ColumnRowMlp(), new RmsNorm(128)));

    public static void Run(ProcessGroup tp, float[] input)
    {
        var model = Make(true);
        var y = model.Forward(DTensor.FromArray(input, input.Length / 128, 128, Placement.Replicate, tp));
        var full = y.ToTensor();
        if (tp.Rank == 0) Console.WriteLine($"{model.Describe()}: {full.FlattenedLength}");
    }
}
