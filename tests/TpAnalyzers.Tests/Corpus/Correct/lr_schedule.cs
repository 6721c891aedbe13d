using System;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Training;

public sealed record ScheduleConfig(float BaseLearningRate, int BaseBatch, int MicroBatch, int GradAccumulation, int WarmupSteps, int TotalSteps);

public sealed class CosineSchedule
{
    private readonly ScheduleConfig _cfg;
    private readonly int _dataParallel;
    private readonly int _tensorParallel;

    public CosineSchedule(ScheduleConfig cfg, DeviceMesh mesh)
    {
        _cfg = cfg;
        _dataParallel = mesh.DataParallel.Size;
        _tensorParallel = mesh.TensorParallel.Size;
    }

    // Samples per optimizer step: only data-parallel replicas see different samples.
    public int GlobalBatch => _cfg.MicroBatch * _cfg.GradAccumulation * _dataParallel;

    // Linear scaling rule (Goyal et al.): the learning rate follows the global batch.
    public float PeakLearningRate => _cfg.BaseLearningRate * GlobalBatch / _cfg.BaseBatch;

    public float At(int step)
    {
        if (step < _cfg.WarmupSteps) return PeakLearningRate * (step + 1) / _cfg.WarmupSteps;
        double progress = (double)(step - _cfg.WarmupSteps) / Math.Max(1, _cfg.TotalSteps - _cfg.WarmupSteps);
        return (float)(PeakLearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress))));
    }

    public string Describe() =>
        $"global batch {GlobalBatch} (micro {_cfg.MicroBatch} x accum {_cfg.GradAccumulation} x dp {_dataParallel}); tp {_tensorParallel} shares each batch";
}

public static class ScheduledTraining
{
    public static void Train(ProcessGroup world, ParameterSet parameters, Func<int, DTensor> loss, ScheduleConfig cfg)
    {
        using var mesh = DeviceMesh.Create(world, world.Size / 2, 2);
        var schedule = new CosineSchedule(cfg, mesh);
        var optimizer = new AdamW(parameters, schedule.At(0), weightDecay: 0.1f);
        var trainer = new Trainer(optimizer, mesh.TensorParallel, mesh.DataParallel, maxGradientNorm: 1f);
        int tokensPerStep = schedule.GlobalBatch * 1024;
        long seen = 0;
        for (int step = 0; step < cfg.TotalSteps; step++)
        {
            optimizer.LearningRate = schedule.At(step);
            var result = trainer.Step(() => loss(step));
            seen += tokensPerStep;
            if (mesh.World.Rank == 0 && step % 50 == 0)
                Console.WriteLine($"step {step}: lr {optimizer.LearningRate:E2} loss {result.Loss:F4} norm {result.GradientNorm:F3} tokens {seen:N0}; {schedule.Describe()}");
        }
    }
}
