namespace TpCodegen.MpiDriver;

// Modules the generator shards, as a user writes them: the checks run their generated shards across MPI processes.

public partial class ColumnModule(int inFeatures, int outFeatures)
{
    [TensorParallel(Split.Column)] public Linear Layer { get; } = new(inFeatures, outFeatures, seed: 11);
}

public partial class ColumnGatherModule(int inFeatures, int outFeatures)
{
    [TensorParallel(Split.Column, GatherOutput = true)] public Linear Layer { get; } = new(inFeatures, outFeatures, seed: 12);
}

public partial class RowModule(int inFeatures, int outFeatures)
{
    [TensorParallel(Split.Row, InputIsParallel = false)] public Linear Layer { get; } = new(inFeatures, outFeatures, seed: 13);
}

public partial class LlamaMlp(int hidden, int intermediate)
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false, seed: 21);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: false, seed: 22);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: false, seed: 23);

    public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}
