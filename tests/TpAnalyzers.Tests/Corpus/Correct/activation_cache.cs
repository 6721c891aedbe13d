using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class HookedMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512, bias: false);

    public Dictionary<string, DTensor> Activations { get; } = new();
    public Func<string, DTensor, DTensor>? Hook { get; set; }

    public DTensor Forward(DTensor x)
    {
        var h = Up.Forward(x);
        Activations["up"] = h;
        h = Hook?.Invoke("up", h) ?? h;
        var y = Down.Forward(Ops.Silu(h));
        Activations["down"] = y;
        return y;
    }
}

public static class Probing
{
    public static void Inspect(HookedMlp mlp, DTensor x, ProcessGroup tp)
    {
        var stats = new ConcurrentDictionary<string, float>();
        mlp.Hook = (name, v) => { stats[name] = v.LocalFeatures; return v; };
        var y = mlp.Forward(x);
        var upFull = mlp.Activations["up"].FullTensor();
        var down = mlp.Activations["down"];
        if (tp.Rank == 0)
        {
            Console.WriteLine($"up gathered: {upFull.FlattenedLength} values; down: {down} first {down.LocalSpan[0]}");
            foreach (var (k, v) in stats) Console.WriteLine($"{k}: {v} local features");
        }
        _ = y;
    }
}
