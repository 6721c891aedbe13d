using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The TpRuntime types every rule reads, resolved once per compilation. A compilation that does not reference
/// TpRuntime gets none, and the rules register nothing for it.
/// </summary>
internal sealed class KnownTypes
{
    // Every rule asks at its compilation start; the lookups search every reference, so they are made once for all of them.
    private static readonly ConditionalWeakTable<Compilation, Resolved> s_resolved = new();

    private const string RuntimeAssemblyName = "TpRuntime";

    private KnownTypes(IAssemblySymbol runtime, INamedTypeSymbol linear, INamedTypeSymbol dtensor, INamedTypeSymbol processGroup)
    {
        Linear = linear;
        DTensor = dtensor;
        ProcessGroup = processGroup;
        Ops = runtime.GetTypeByMetadataName("TpCodegen.Ops");
        Placement = runtime.GetTypeByMetadataName("TpCodegen.Placement");
        ReplicatePlacement = runtime.GetTypeByMetadataName("TpCodegen.ReplicatePlacement");
        ShardPlacement = runtime.GetTypeByMetadataName("TpCodegen.ShardPlacement");
        PartialPlacement = runtime.GetTypeByMetadataName("TpCodegen.PartialPlacement");
        ReduceOp = runtime.GetTypeByMetadataName("TpCodegen.ReduceOp");
        TensorParallelAttribute = runtime.GetTypeByMetadataName("TpCodegen.TensorParallelAttribute");
        PlacementContractAttribute = runtime.GetTypeByMetadataName("TpCodegen.PlacementContractAttribute");
        ShardedLinear = runtime.GetTypeByMetadataName("TpCodegen.ShardedLinear");
        DeviceMesh = runtime.GetTypeByMetadataName("TpCodegen.Collectives.DeviceMesh");
        LinearShard = runtime.GetTypeByMetadataName("TpCodegen.Parallel.LinearShard");
        Launcher = runtime.GetTypeByMetadataName("TpCodegen.Collectives.Launcher");
        FeatureLayout = runtime.GetTypeByMetadataName("TpCodegen.FeatureLayout");
        InProcessWorld = runtime.GetTypeByMetadataName("TpCodegen.Collectives.InProcess.InProcessWorld");
        Embedding = runtime.GetTypeByMetadataName("TpCodegen.Embedding");
        CollectiveMismatchException = runtime.GetTypeByMetadataName("TpCodegen.Collectives.CollectiveMismatchException");
        CollectiveDeadlockException = runtime.GetTypeByMetadataName("TpCodegen.Collectives.CollectiveDeadlockException");
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

    public INamedTypeSymbol? Launcher { get; }

    public INamedTypeSymbol? FeatureLayout { get; }

    public INamedTypeSymbol? InProcessWorld { get; }

    /// <summary>A token embedding: its Forward returns the rows of the ids, Replicate (a vocabulary-parallel one all-reduces them).</summary>
    public INamedTypeSymbol? Embedding { get; }

    /// <summary>Raised on every rank of a group whose ranks entered different collectives: each may catch it and retry.</summary>
    public INamedTypeSymbol? CollectiveMismatchException { get; }

    /// <summary>Raised on every rank of a run when each rank still running waits in a collective that cannot complete.</summary>
    public INamedTypeSymbol? CollectiveDeadlockException { get; }

    /// <summary>Null when the compilation does not reference TpRuntime. Resolved once per compilation and shared by every rule.</summary>
    public static KnownTypes? TryCreate(Compilation compilation) =>
        s_resolved.GetValue(compilation, c => new Resolved(Resolve(c))).Types;

    private static KnownTypes? Resolve(Compilation compilation)
    {
        if (RuntimeAssembly(compilation) is not { } runtime) return null;
        var linear = runtime.GetTypeByMetadataName("TpCodegen.Linear");
        var dtensor = runtime.GetTypeByMetadataName("TpCodegen.DTensor");
        var processGroup = runtime.GetTypeByMetadataName("TpCodegen.Collectives.ProcessGroup");
        return linear is null || dtensor is null || processGroup is null ? null : new KnownTypes(runtime, linear, dtensor, processGroup);
    }

    /// <summary>
    /// The assembly TpRuntime's types are read from: the compilation's own when it declares them (TpRuntime itself),
    /// else the reference named TpRuntime. Compilation.GetTypeByMetadataName would search every reference and load the
    /// namespaces of each: with the framework's ~160 reference assemblies that cost more than all the rules together.
    /// </summary>
    private static IAssemblySymbol? RuntimeAssembly(Compilation compilation)
    {
        if (compilation.Assembly.GetTypeByMetadataName("TpCodegen.Linear") is not null) return compilation.Assembly;
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (assembly.Name == RuntimeAssemblyName) return assembly;
        }
        return null;
    }

    public bool IsDTensor(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, DTensor);

    /// <summary>A rank's own tensor, <c>System.Numerics.Tensors.Tensor&lt;T&gt;</c> (what <c>x.Local</c> is); by name, as it lives outside TpRuntime.</summary>
    public static bool IsLocalTensor(ITypeSymbol? type) =>
        type is INamedTypeSymbol { Name: "Tensor", Arity: 1, ContainingNamespace: { Name: "Tensors", ContainingNamespace: { Name: "Numerics", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } };

    public static bool Is(ISymbol? symbol, ISymbol? known) => known is not null && SymbolEqualityComparer.Default.Equals(symbol, known);

    // The rules' reading of groups and layers: which collective a call is, which group an expression denotes
    // (where it was made, followed through the code; by name where nothing says), and which [TensorParallel] layer a value comes from.

    /// <summary>True for one of ProcessGroup's collectives (AllReduce, AllGather, ReduceScatter, Broadcast, Barrier, Split).</summary>
    public bool IsGroupCollective(IMethodSymbol method) =>
        SymbolEqualityComparer.Default.Equals(method.ContainingType, ProcessGroup) && method.Name is "AllReduce" or "AllGather" or "ReduceScatter" or "Broadcast" or "Barrier" or "Split";

    public bool IsGroupMethod(IMethodSymbol method, string name) =>
        method.Name == name && SymbolEqualityComparer.Default.Equals(method.ContainingType, ProcessGroup);

    /// <summary>ProcessGroup.Rank or .Size, also through a backend's override.</summary>
    public bool IsGroupProperty(IPropertySymbol property, string name)
    {
        if (property.Name != name) return false;
        for (IPropertySymbol? p = property; p is not null; p = p.OverriddenProperty)
        {
            if (SymbolEqualityComparer.Default.Equals(p.ContainingType, ProcessGroup)) return true;
        }
        return false;
    }

    public bool IsTensorParallelMember(ISymbol? member)
    {
        if (TensorParallelAttribute is null || member is not (IFieldSymbol or IPropertySymbol)) return false;
        // Asked at every use of a layer: whether the attribute is there, without reading it into its options.
        foreach (var attribute in member.GetAttributes())
        {
            if (Roslyn.TensorParallelAttributeReader.IsTensorParallel(attribute.AttributeClass)) return true;
        }
        return false;
    }

    /// <summary>The [TensorParallel] member an expression reads (<c>Down</c>, <c>this.Down</c>, <c>mlp.Down</c>), or null.</summary>
    public ISymbol? TensorParallelMemberOf(IOperation? operation)
    {
        var member = Operations.Unwrap(operation) switch
        {
            IPropertyReferenceOperation p => (ISymbol)p.Property,
            IFieldReferenceOperation f => f.Field,
            _ => null,
        };
        return IsTensorParallelMember(member) ? member : null;
    }

    /// <summary>
    /// Whether an invocation runs a tensor-parallel layer's forward: <c>Down.Forward(x)</c> on a [TensorParallel]
    /// member, or any <c>ShardedLinear.Forward</c>.
    /// </summary>
    public bool IsTensorParallelForward(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.Name != "Forward") return false;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, Linear)) return TensorParallelMemberOf(invocation.Instance) is not null;
        return ShardedLinear is not null && IsOrDerives(method.ContainingType, ShardedLinear);
    }

    /// <summary>The name of the tensor-parallel layer whose forward an invocation runs (<see cref="IsTensorParallelForward"/>), or null.</summary>
    public string? TensorParallelForwardOf(IInvocationOperation invocation)
    {
        if (!IsTensorParallelForward(invocation)) return null;
        return SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, Linear)
            ? TensorParallelMemberOf(invocation.Instance)!.Name
            : invocation.Instance?.Syntax.ToString() ?? invocation.TargetMethod.ContainingType.Name;
    }

    /// <summary>Which group an expression of type ProcessGroup is: where it was made, followed through the code (<see cref="GroupRoles"/>).</summary>
    public GroupRole ClassifyGroup(IOperation? operation) => GroupRoles.Classify(this, operation, 0);

    /// <summary>The rank or size (<paramref name="name"/>) of a group with role <paramref name="role"/>: <c>tp.Rank</c>, <c>mesh.TensorParallel.Size</c>.</summary>
    public bool IsGroupPropertyOf(IOperation? operation, string name, GroupRole role) =>
        Operations.Unwrap(operation) is IPropertyReferenceOperation { Instance: { } instance } property &&
        IsGroupProperty(property.Property, name) &&
        ClassifyGroup(instance) == role;

    public static bool IsOrDerives(ITypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType)) return true;
        }
        return false;
    }

    public static string Describe(GroupRole role) => role switch
    {
        GroupRole.TensorParallel => "tensor-parallel",
        GroupRole.DataParallel => "data-parallel",
        GroupRole.World => "world",
        _ => "unknown",
    };

    /// <summary>A compilation's answer, none included.</summary>
    private sealed class Resolved
    {
        public Resolved(KnownTypes? types) => Types = types;

        public KnownTypes? Types { get; }
    }
}
