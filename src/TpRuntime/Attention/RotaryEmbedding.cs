namespace TpCodegen;

/// <summary>
/// Llama 3's frequency-dependent rotary scaling (<c>rope_scaling</c> with <c>rope_type: "llama3"</c>): long wavelengths
/// are slowed by <see cref="Factor"/>, short ones kept, the band between blended.
/// </summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions);

/// <summary>
/// Rotary position embeddings in Hugging Face's form: <c>inv_freq[i] = 1 / theta^(2i / d)</c>, the angles of
/// <c>cat(freqs, freqs)</c>, and <c>x' = x cos + rotate_half(x) sin</c> with <c>rotate_half(x) = cat(-x[d/2:], x[:d/2])</c>
/// (HF checkpoints are permuted for this half-split form; Meta's originals interleave pairs). Applied per head to queries
/// and keys, never to values, before keys enter the KV cache. Angles are computed in float32, as transformers does.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly float[] _inverseFrequencies;
    private float[] _cos = [];
    private float[] _sin = [];
    private int _positions;

    public RotaryEmbedding(int headDim, double theta = 10000, Llama3RopeScaling? scaling = null)
    {
        if (headDim < 2 || headDim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "Rotary embeddings need an even head dimension.");
        if (!(theta > 1)) throw new ArgumentOutOfRangeException(nameof(theta), theta, "rope_theta must be greater than 1.");
        HeadDim = headDim;
        Theta = theta;
        Scaling = scaling;
        int half = headDim / 2;
        _inverseFrequencies = new float[half];
        for (int i = 0; i < half; i++)
            _inverseFrequencies[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / headDim));
        if (scaling is not null) Scale(_inverseFrequencies, scaling);
    }

    public int HeadDim { get; }

    public double Theta { get; }

    public Llama3RopeScaling? Scaling { get; }

    private static void Scale(float[] inverse, Llama3RopeScaling s)
    {
        double lowWavelength = s.OriginalMaxPositions / s.LowFreqFactor;
        double highWavelength = s.OriginalMaxPositions / s.HighFreqFactor;
        for (int i = 0; i < inverse.Length; i++)
        {
            double frequency = inverse[i], wavelength = 2 * Math.PI / frequency;
            if (wavelength > lowWavelength) inverse[i] = (float)(frequency / s.Factor);
            else if (wavelength >= highWavelength)
            {
                double smooth = (s.OriginalMaxPositions / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                inverse[i] = (float)((1 - smooth) * frequency / s.Factor + smooth * frequency);
            }
        }
    }

    /// <summary>Rotates every head of <paramref name="heads"/> (<c>n * HeadDim</c> floats) to <paramref name="position"/>, in place.</summary>
    // Hot from the first token of a generation: compiled optimised at once, not through tiered JIT's slow first tier.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<float> heads, int position) => Rotate(heads, position, 1f);

    /// <summary>
    /// Rotates every head back from <paramref name="position"/> (by the opposite angle), in place: the transpose of
    /// <see cref="Apply"/>, which is how a gradient goes back through it.
    /// </summary>
    public void ApplyInverse(Span<float> heads, int position) => Rotate(heads, position, -1f);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Rotate(Span<float> heads, int position, float direction)
    {
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position), position, "Positions start at 0.");
        EnsurePositions(position + 1);
        int half = HeadDim / 2;
        var cos = _cos.AsSpan(position * half, half);
        var sin = _sin.AsSpan(position * half, half);
        for (int head = 0; head + HeadDim <= heads.Length; head += HeadDim)
        {
            var first = heads.Slice(head, half);
            var second = heads.Slice(head + half, half);
            for (int i = 0; i < half; i++)
            {
                float a = first[i], b = second[i], sine = direction * sin[i];
                first[i] = a * cos[i] - b * sine;
                second[i] = b * cos[i] + a * sine;
            }
        }
    }

    // The table grows by doubling, so a long generation computes each angle once.
    private void EnsurePositions(int count)
    {
        if (count <= _positions) return;
        int positions = Math.Max(count, Math.Max(64, _positions * 2));
        int half = HeadDim / 2;
        var cos = new float[(long)positions * half];
        var sin = new float[(long)positions * half];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++)
            {
                float angle = p * _inverseFrequencies[i];
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
        (_cos, _sin, _positions) = (cos, sin, positions);
    }
}
