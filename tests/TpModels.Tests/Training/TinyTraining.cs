using TpCodegen.Collectives;
using TpCodegen.Training;

namespace TpCodegen.Models.Tests.Training;

/// <summary>
/// One rank of a training run of a small Llama (grouped-query attention, a padded vocabulary of 61, an MLP of 72) on a
/// dp x tp mesh, with AdamW, weight decay and clipping: the loop the training tests share. Each step draws a fresh
/// batch from its own seed, so a resumed run sees the same data as an uninterrupted one.
/// </summary>
internal sealed class TinyTraining : IDisposable
{
    public const int Sequences = 4, Length = 7;
    public static readonly LlamaConfig Config = LlamaConfig.Small(vocabulary: 61, hidden: 48, intermediate: 72, layers: 2, heads: 8, kvHeads: 4);

    /// <summary>
    /// The dense model every run of a test shards, built on a fresh thread: layers draw their seeds from a per-thread
    /// counter, and xunit's threads carry it over from whatever test ran on them before, so a model built on the test's
    /// thread would have other weights (and a loss curve that differs in its last digits) from run to run.
    /// </summary>
    public static LlamaModel Dense()
    {
        LlamaModel? model = null;
        var thread = new Thread(() => model = new LlamaModel(Config));
        thread.Start();
        thread.Join();
        return model!;
    }

    /// <param name="dense">The model to shard; built with sequence parallelism exactly when this run uses it.</param>
    public TinyTraining(ProcessGroup world, LlamaModel dense, int dp, int tp, int bucketFloats = DataParallelGradients.DefaultBucketFloats)
    {
        Mesh = DeviceMesh.Create(world, dp, tp);
        Model = new LlamaModel(Config, sequenceParallel: dense.SequenceParallel);
        Model.ShardFrom(dense, Mesh.TensorParallel);
        Parameters = Model.Parameters();
        // Sums run in another order at each degree, so gradients differ at rounding level. epsilon 1e-6 rather than 1e-8:
        // Adam turns a gradient at rounding level (1e-9) into a step of the full learning rate, and a larger epsilon keeps
        // such steps negligible; a moderate learning rate keeps twenty steps from amplifying the rest past 1e-5 (at 1e-2
        // the losses drift apart by 3e-5).
        Optimizer = new AdamW(Parameters, learningRate: 3e-3f, epsilon: 1e-6f, weightDecay: 0.01f);
        Trainer = new Trainer(Optimizer, Mesh.TensorParallel, Mesh.DataParallel, maxGradientNorm: 1f, bucketFloats: bucketFloats);
        PerReplica = Sequences / dp;
        Plan = Model.TrainingPlan(tp, PerReplica * Length, clipping: true, dp, bucketFloats);
    }

    public DeviceMesh Mesh { get; }

    public LlamaModel Model { get; }

    public ParameterSet Parameters { get; }

    public AdamW Optimizer { get; }

    public Trainer Trainer { get; }

    public TrainingPlan Plan { get; }

    public int PerReplica { get; }

    /// <summary>Step <paramref name="step"/> on this replica's sequences of the step's batch; returns the loss averaged over replicas.</summary>
    public float Step(int step) => StepWithNorm(step).Loss;

    /// <summary>Step <paramref name="step"/>: the loss averaged over replicas and the global gradient norm before clipping.</summary>
    public TrainingStepResult StepWithNorm(int step)
    {
        var (ids, targets) = Data(step);
        int replica = Mesh.DataParallel.Rank;
        var mine = new Range(replica * PerReplica * Length, (replica + 1) * PerReplica * Length);
        var batch = SequenceBatch.Prefill(Enumerable.Repeat(Length, PerReplica).ToArray());
        return Trainer.Step(() => Model.Loss(ids[mine], targets[mine], batch));
    }

    /// <summary>This rank's parameter values by name, copied.</summary>
    public Dictionary<string, float[]> Weights() => Parameters.Items.ToDictionary(p => p.Name, p => p.Parameter.Value.ToArray());

    public void Dispose() => Mesh.Dispose();

    // A rule a tiny model learns in a few steps: the target of id x is (7x + 3) mod vocabulary. The first sequence is
    // padded after 4 tokens (ignored targets), so at dp=2 the replicas count 11 and 14 tokens (fewer when an ignored id
    // comes up): the batch's loss is the mean over its counted tokens only if each replica is weighted by its count.
    private static (int[] Ids, int[] Targets) Data(int step)
    {
        var random = new Random(100 + step);
        var ids = Enumerable.Range(0, Sequences * Length).Select(_ => random.Next(Config.Vocabulary)).ToArray();
        var targets = ids.Select((x, t) => t is >= 4 and < Length || x % 13 == 0 ? VocabParallelCrossEntropy.DefaultIgnoreIndex : (7 * x + 3) % Config.Vocabulary);
        return (ids, targets.ToArray());
    }
}
