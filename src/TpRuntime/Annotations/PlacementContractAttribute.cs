namespace TpCodegen;

/// <summary>
/// Declares, in metadata, which placement a forward method takes and which it returns, so that analyzers
/// can check a module's data flow across assemblies. Generated sharded layers carry it; hand-written
/// layers may too. The runtime checks the same contract again as values flow.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class PlacementContractAttribute(PlacementKind input, PlacementKind output) : Attribute
{
    /// <summary>The placement the method's activation argument must have.</summary>
    public PlacementKind Input { get; } = input;

    /// <summary>The placement of the activation the method returns.</summary>
    public PlacementKind Output { get; } = output;
}
