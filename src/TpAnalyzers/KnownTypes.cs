using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers;

/// <summary>
/// The TpRuntime types every rule reads, resolved once per compilation. A compilation that does not reference
/// TpRuntime gets none, and the rules register nothing for it. The group-classification helpers the parallelism
/// rules share live in the other part of this class (Rules/Parallelism/KnownTypes.Groups.cs).
/// </summary>
internal sealed partial class KnownTypes
{
    private KnownTypes(Compilation compilation, INamedTypeSymbol linear, INamedTypeSymbol dtensor, INamedTypeSymbol processGroup)
    {
        Linear = linear;
        DTensor = dtensor;
        ProcessGroup = processGroup;
        Ops = compilation.GetTypeByMetadataName("TpCodegen.Ops");
        Placement = compilation.GetTypeByMetadataName("TpCodegen.Placement");
        ReplicatePlacement = compilation.GetTypeByMetadataName("TpCodegen.ReplicatePlacement");
        ShardPlacement = compilation.GetTypeByMetadataName("TpCodegen.ShardPlacement");
        PartialPlacement = compilation.GetTypeByMetadataName("TpCodegen.PartialPlacement");
        ReduceOp = compilation.GetTypeByMetadataName("TpCodegen.ReduceOp");
        TensorParallelAttribute = compilation.GetTypeByMetadataName("TpCodegen.TensorParallelAttribute");
        PlacementContractAttribute = compilation.GetTypeByMetadataName("TpCodegen.PlacementContractAttribute");
        ShardedLinear = compilation.GetTypeByMetadataName("TpCodegen.ShardedLinear");
        DeviceMesh = compilation.GetTypeByMetadataName("TpCodegen.Collectives.DeviceMesh");
        LinearShard = compilation.GetTypeByMetadataName("TpCodegen.Parallel.LinearShard");
    }

    public INamedTypeSymbol Linear { get; }

    public INamedTypeSymbol DTensor { get; }

    public INamedTypeSymbol ProcessGroup { get; }

    public INamedTypeSymbol? Ops { get; }

    public INamedTypeSymbol? Placement { get; }

    public INamedTypeSymbol? ReplicatePlacement { get; }

    public INamedTypeSymbol? ShardPlacement { get; }

    public INamedTypeSymbol? PartialPlacement { get; }

    public INamedTypeSymbol? ReduceOp { get; }

    public INamedTypeSymbol? TensorParallelAttribute { get; }

    public INamedTypeSymbol? PlacementContractAttribute { get; }

    public INamedTypeSymbol? ShardedLinear { get; }

    public INamedTypeSymbol? DeviceMesh { get; }

    public INamedTypeSymbol? LinearShard { get; }

    /// <summary>Null when the compilation does not reference TpRuntime.</summary>
    public static KnownTypes? TryCreate(Compilation compilation)
    {
        var linear = compilation.GetTypeByMetadataName("TpCodegen.Linear");
        var dtensor = compilation.GetTypeByMetadataName("TpCodegen.DTensor");
        var processGroup = compilation.GetTypeByMetadataName("TpCodegen.Collectives.ProcessGroup");
        return linear is null || dtensor is null || processGroup is null ? null : new KnownTypes(compilation, linear, dtensor, processGroup);
    }

    public bool IsDTensor(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, DTensor);

    public static bool Is(ISymbol? symbol, ISymbol? known) => known is not null && SymbolEqualityComparer.Default.Equals(symbol, known);
}
