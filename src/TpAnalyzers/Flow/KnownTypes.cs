using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers.Flow
{
    /// <summary>
    /// The TpRuntime types the placement rules read, resolved once per compilation. A compilation that does not
    /// reference TpRuntime gets none, and the rules register nothing for it.
    /// </summary>
    internal sealed class KnownTypes
    {
        private KnownTypes(Compilation compilation, INamedTypeSymbol linear, INamedTypeSymbol dtensor)
        {
            Linear = linear;
            DTensor = dtensor;
            Ops = compilation.GetTypeByMetadataName("TpCodegen.Ops");
            Placement = compilation.GetTypeByMetadataName("TpCodegen.Placement");
            ReplicatePlacement = compilation.GetTypeByMetadataName("TpCodegen.ReplicatePlacement");
            ShardPlacement = compilation.GetTypeByMetadataName("TpCodegen.ShardPlacement");
            PartialPlacement = compilation.GetTypeByMetadataName("TpCodegen.PartialPlacement");
            TensorParallelAttribute = compilation.GetTypeByMetadataName("TpCodegen.TensorParallelAttribute");
            PlacementContractAttribute = compilation.GetTypeByMetadataName("TpCodegen.PlacementContractAttribute");
        }

        public INamedTypeSymbol Linear { get; }

        public INamedTypeSymbol DTensor { get; }

        public INamedTypeSymbol? Ops { get; }

        public INamedTypeSymbol? Placement { get; }

        public INamedTypeSymbol? ReplicatePlacement { get; }

        public INamedTypeSymbol? ShardPlacement { get; }

        public INamedTypeSymbol? PartialPlacement { get; }

        public INamedTypeSymbol? TensorParallelAttribute { get; }

        public INamedTypeSymbol? PlacementContractAttribute { get; }

        public static KnownTypes? TryCreate(Compilation compilation)
        {
            var linear = compilation.GetTypeByMetadataName("TpCodegen.Linear");
            var dtensor = compilation.GetTypeByMetadataName("TpCodegen.DTensor");
            return linear is null || dtensor is null ? null : new KnownTypes(compilation, linear, dtensor);
        }

        public bool IsDTensor(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, DTensor);

        public static bool Is(ISymbol? symbol, ISymbol? known) => known is not null && SymbolEqualityComparer.Default.Equals(symbol, known);
    }
}
