namespace TpCodegen;

/// <summary>
/// Declares, in metadata, which placement a forward method takes and which it returns, so that analyzers
/// can check a module's data flow across assemblies, for hand-written layers and modules. A generated sharded layer
/// needs none: its placements follow from its [TensorParallel], which the analyzers resolve against the same split
/// contract the generator emitted it from (and the shard reports them as ShardedLinear.InputPlacement/OutputPlacement).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class PlacementContractAttribute(PlacementKind input, PlacementKind output) : Attribute
{
    /// <summary>The placement the method's activation argument must have.</summary>
    public PlacementKind Input { get; } = input;

    /// <summary>The placement of the activation the method returns.</summary>
    public PlacementKind Output { get; } = output;
}
