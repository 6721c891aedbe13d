namespace TpCodegen.Models.Tests;

// One module per layer variant, with shapes chosen at run time so each test can try several.
// Linear creates its weights on first use, so the per-rank modules that are only sharded never allocate dense weights.

public partial class ColumnModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Column)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

public partial class ColumnGatherModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Column, GatherOutput = true)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

public partial class ColumnSkipBiasModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Column, SkipBiasAdd = true)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

public partial class RowModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Row)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

public partial class RowScatterInputModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Row, InputIsParallel = false)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

public partial class RowPartialModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

public partial class RowSkipBiasModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Row, SkipBiasAdd = true)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

public partial class RowPartialSkipBiasModule(int inFeatures, int outFeatures, bool bias)
{
    [TensorParallel(Split.Row, ReduceResults = false, SkipBiasAdd = true)] public Linear Layer { get; } = new(inFeatures, outFeatures, bias);
}

/// <summary>Llama's MLP: gate and up split by columns, down by rows; the Forward is the author's dense code.</summary>
public partial class LlamaMlp(int hidden, int intermediate)
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: false);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}

/// <summary>A GPT-style MLP with biases, as fields: Column -> GELU -> Row.</summary>
public partial class GptMlp(int hidden)
{
    [TensorParallel(Split.Column)] public readonly Linear Fc = new(hidden, 4 * hidden);
    [TensorParallel(Split.Row)] public readonly Linear Proj = new(4 * hidden, hidden);

    public DTensor Forward(DTensor x) => Proj.Forward(Ops.Gelu(Fc.Forward(x)));
}

/// <summary>Shapes fixed by constants: the plan bakes them in, and the degree check still runs.</summary>
public partial class ConstantDown
{
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(11008, 16);
}

/// <summary>
/// Initializers without bias that an object initializer may replace with biased layers: the generated shards must take
/// the bias of the layers the instance holds, not the one the initializers say.
/// </summary>
public partial class ReplaceableMlp
{
    [TensorParallel(Split.Column)] public Linear Fc { get; init; } = new(8, 16, bias: false);
    [TensorParallel(Split.Row, ReduceResults = false)] public Linear Mid { get; init; } = new(16, 12, bias: false);
    [TensorParallel(Split.Row)] public Linear Proj { get; init; } = new(12, 8, bias: false);
}
