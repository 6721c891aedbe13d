using System;
using System.IO;
using System.Threading;
using TpCodegen;
using TpCodegen.Collectives;

public enum Role { Leader, Follower }

public sealed partial class RoleMlp
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256);
    public DTensor Forward(DTensor x) => Down.Forward(Ops.Relu(Up.Forward(x)));
}

public sealed class Worker(RoleMlp mlp, ProcessGroup tp)
{
    private readonly object _gate = new();
    private Role MyRole => tp.Rank switch { 0 => Role.Leader, _ => Role.Follower };

    public float[] Step(float[] input, int tokens, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        DTensor y;
        lock (_gate)
        {
            y = mlp.Forward(DTensor.FromArray(input, tokens, 256, Placement.Replicate, tp));
        }
        var role = MyRole;
        switch (role)
        {
            case Role.Leader:
                File.AppendAllText("out.log", $"{y}\n");
                break;
            case Role.Follower:
                break;
        }
        string tag = role == Role.Leader ? "leader" : "follower";
        tp.Barrier();
        if (role == Role.Leader) Console.WriteLine($"{tag} finished");
        return y.LocalSpan.ToArray();
    }
}
