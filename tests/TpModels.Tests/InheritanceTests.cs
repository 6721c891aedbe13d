using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests;

/// <summary>A module with two marked layers, meant to be derived from.</summary>
public partial class UpDownBase(int hidden, int intermediate)
{
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: true, seed: 1);

    [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: true, seed: 2);

    public virtual DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Up.Forward(x)));
}

/// <summary>A gated MLP derived from it, adding one marked layer: the generated members must shard all three.</summary>
public sealed partial class GatedFromBase(int hidden, int intermediate) : UpDownBase(hidden, intermediate)
{
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false, seed: 3);

    public override DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
}

/// <summary>A module derived from a module: the generated ShardFrom/GetPlan override the base's and cover its layers too.</summary>
public class InheritanceTests
{
    private const int Hidden = 6, Intermediate = 12, Tokens = 5;

    public static TheoryData<int> Degrees => new() { 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Degrees))]
    public void Derived_module_shards_the_base_layers_too_and_matches_dense(int tp)
    {
        var dense = new GatedFromBase(Hidden, Intermediate);
        var x = Reference.Input(Tokens, Hidden, seed: 4);
        var up = Reference.Linear(x, dense.Up, Tokens);
        var gate = Reference.Linear(x, dense.Gate, Tokens);
        var expected = Reference.Linear(Reference.Multiply(Reference.Map(gate, Reference.Silu), up), dense.Down, Tokens);
        var outputs = new float[tp][];
        InProcessWorld.Run(tp, group =>
        {
            var module = new GatedFromBase(Hidden, Intermediate);
            module.ShardFrom(dense, group);
            Assert.NotNull(module.Up.Shard);
            Assert.NotNull(module.Down.Shard);
            Assert.NotNull(module.Gate.Shard);
            outputs[group.Rank] = module.Forward(DTensor.FromArray(x, Tokens, Hidden, Placement.Replicate, group)).ToTensor().ToArray();
        });
        foreach (var output in outputs) Reference.AssertClose(expected, output, $"derived module at tp={tp}");
    }

    [Fact]
    public void Plan_through_the_interface_lists_the_base_layers_then_the_derived()
    {
        Parallel.ITensorParallelModule module = new GatedFromBase(Hidden, Intermediate);
        var plan = module.GetPlan(tp: 2, tokens: Tokens);
        Assert.Equal(["Up", "Down", "Gate"], plan.Layers.Select(l => l.LayerName));
        UpDownBase asBase = new GatedFromBase(Hidden, Intermediate);
        Assert.Equal(3, asBase.GetPlan(2, Tokens).Layers.Count); // virtual: the base reference gets the whole plan
    }
}
