using System;
using System.Collections.Generic;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public static class EarlyStopping
{
    // Each replica evaluates its own validation shard; the mean loss is all-reduced over the data-parallel group so
    // every rank takes the same decision to stop, and the loop exits everywhere at the same step.
    public static int Train(Trainer trainer, Func<DTensor> trainLoss, Func<float> validationLoss, DeviceMesh mesh, int maxSteps, int patience)
    {
        float best = float.PositiveInfinity;
        int bad = 0, step = 0;
        var history = new List<float>();
        for (; step < maxSteps; step++)
        {
            trainer.Step(trainLoss);
            if (step % 100 != 0) continue;
            var val = new[] { validationLoss() };
            mesh.DataParallel.AllReduce(val, ReduceOp.Average);
            history.Add(val[0]);
            if (val[0] < best - 1e-4f) { best = val[0]; bad = 0; }
            else if (++bad >= patience) break;
            if (mesh.World.Rank == 0) Console.WriteLine($"step {step}: val {val[0]:F4} (best {best:F4})");
        }
        // a NaN on any rank stops every rank
        var nan = new[] { float.IsNaN(best) ? 1f : 0f };
        mesh.World.AllReduce(nan, ReduceOp.Max);
        if (nan[0] > 0) throw new InvalidOperationException("loss diverged");
        return step;
    }
}
