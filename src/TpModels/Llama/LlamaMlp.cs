namespace TpCodegen.Models;

/// <summary>Llama's SwiGLU MLP: gate and up split by columns, down by rows: one all-reduce.</summary>
public sealed partial class LlamaMlp(LlamaConfig c) : ILlamaMlp
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(c.Hidden, c.Intermediate, bias: c.MlpBias);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(c.Hidden, c.Intermediate, bias: c.MlpBias);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(c.Intermediate, c.Hidden, bias: c.MlpBias);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}

/// <summary>The same MLP with gate and up fused into one GEMM per rank (vLLM's MergedColumnParallelLinear), split per segment.</summary>
public sealed partial class FusedLlamaMlp(LlamaConfig c) : ILlamaMlp
{
    [TensorParallel(Split.Column)]
    public Linear GateUp { get; } = new(c.Hidden, 2 * c.Intermediate, bias: c.MlpBias) { OutputLayout = FeatureLayout.Fused(("gate", c.Intermediate), ("up", c.Intermediate)) };

    [TensorParallel(Split.Row)] public Linear Down { get; } = new(c.Intermediate, c.Hidden, bias: c.MlpBias);

    public DTensor Forward(DTensor x)
    {
        var gateUp = GateUp.SplitOutput(GateUp.Forward(x));
        return Down.Forward(Ops.Silu(gateUp[0]) * gateUp[1]);
    }
}

/// <summary>Either form of the Llama MLP.</summary>
public interface ILlamaMlp : Parallel.ITensorParallelModule
{
    DTensor Forward(DTensor x);
}
