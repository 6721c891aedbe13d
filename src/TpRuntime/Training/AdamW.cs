namespace TpCodegen.Training;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter; PyTorch's <c>torch.optim.AdamW</c>): each parameter moves by
/// <c>lr (m_hat / (sqrt(v_hat) + eps) + weight_decay p)</c>. Element-wise, so a shard's update is the dense update of its
/// slice and needs no collective; then each parameter is committed back to its layer.
/// </summary>
public sealed class AdamW
{
    private readonly ParameterSet _parameters;
    private readonly float[][] _first;
    private readonly float[][] _second;

    public AdamW(ParameterSet parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must not be negative.");
        _parameters = parameters;
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _first = parameters.Items.Select(p => new float[p.Parameter.Value.Length]).ToArray();
        _second = parameters.Items.Select(p => new float[p.Parameter.Value.Length]).ToArray();
    }

    /// <summary>May change between steps (a schedule).</summary>
    public float LearningRate { get; set; }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float Epsilon { get; }

    public float WeightDecay { get; }

    /// <summary>Steps taken (the bias correction's t).</summary>
    public long Steps { get; private set; }

    public ParameterSet Parameters => _parameters;

    /// <summary>The running mean of the gradient of parameter <paramref name="index"/> (its order in the set), shared: checkpoints read and restore it.</summary>
    public float[] FirstMoment(int index) => _first[index];

    /// <summary>The running mean of the squared gradient of parameter <paramref name="index"/>, shared.</summary>
    public float[] SecondMoment(int index) => _second[index];

    /// <summary>Restores the step count of a checkpoint (the moments are restored through <see cref="FirstMoment"/> and <see cref="SecondMoment"/>).</summary>
    public void RestoreSteps(long steps) => Steps = steps >= 0 ? steps : throw new ArgumentOutOfRangeException(nameof(steps), steps, "A step count cannot be negative.");

    /// <summary>Updates every parameter from its gradient and commits it to its layer. Gradients are left as they are.</summary>
    public void Step()
    {
        Steps++;
        float correction1 = 1f - MathF.Pow(Beta1, Steps), correction2 = 1f - MathF.Pow(Beta2, Steps);
        float stepSize = LearningRate / correction1, decay = 1f - LearningRate * WeightDecay;
        float rootCorrection2 = MathF.Sqrt(correction2);
        for (int i = 0; i < _parameters.Count; i++)
        {
            var parameter = _parameters.Items[i].Parameter;
            var (p, g, m, v) = (parameter.Value, parameter.Grad, _first[i], _second[i]);
            for (int j = 0; j < p.Length; j++)
            {
                m[j] = Beta1 * m[j] + (1 - Beta1) * g[j];
                v[j] = Beta2 * v[j] + (1 - Beta2) * g[j] * g[j];
                p[j] = p[j] * decay - stepSize * m[j] / (MathF.Sqrt(v[j]) / rootCorrection2 + Epsilon);
            }
            parameter.Commit();
        }
    }
}
