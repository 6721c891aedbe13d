using System;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed partial class Mlp2(int hidden, int ffn)
{
    [TensorParallel(Split.Column)] public Linear Fc1 { get; } = new(hidden, ffn);
    [TensorParallel(Split.Row)] public Linear Fc2 { get; } = new(ffn, hidden);
    public DTensor Forward(DTensor x) => Fc2.Forward(Ops.Relu(Fc1.Forward(x)));
}

public sealed class Session
{
    private readonly DeviceMesh _mesh;
    private readonly Mlp2 _mlp = new(512, 2048);
    private readonly Trainer _trainer;

    public Session(ProcessGroup world, int tpDegree)
    {
        _mesh = DeviceMesh.Create(world, world.Size / tpDegree, tpDegree);
        var ps = new ParameterSet().Add("fc1", LayerParameters.Of(_mlp.Fc1)).Add("fc2", LayerParameters.Of(_mlp.Fc2));
        _trainer = new Trainer(new AdamW(ps, 1e-3f, weightDecay: 0.1f), _mesh.TensorParallel, _mesh.DataParallel, maxGradientNorm: 1f);
    }

    private ProcessGroup Tp => _mesh.TensorParallel;
    private ProcessGroup Dp => _mesh.DataParallel;
    private bool IsLogger => _mesh.World.Rank == 0;

    public float Train(float[][] batches, int epochs)
    {
        int batchesPerReplica = batches.Length / Dp.Size;
        int samplesPerStep = 8 * Dp.Size;
        float last = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int b = 0; b < batchesPerReplica; b++)
            {
                var batch = batches[Dp.Rank * batchesPerReplica + b];
                var result = _trainer.Step(() =>
                {
                    var x = DTensor.FromArray(batch, batch.Length / 512, 512, Placement.Replicate, Tp);
                    var y = _mlp.Forward(x);
                    return y;
                });
                last = result.Loss;
                if (IsLogger) Console.WriteLine($"epoch {epoch} batch {b}: loss {result.Loss:F4} ({samplesPerStep} samples/step)");
            }
        }
        return last;
    }
}
