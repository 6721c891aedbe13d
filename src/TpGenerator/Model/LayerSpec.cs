using TpCodegen.Contract;

namespace TpCodegen.Generator.Model;

/// <summary>
/// One <c>[TensorParallel]</c> member, as the emitter needs it. Options that do not apply to the split are normalised by
/// the split contract (a Column layer always has InputIsParallel = ReduceResults = true, a Row layer GatherOutput =
/// false), so editing an option that does nothing does not regenerate anything.
/// </summary>
/// <param name="MemberName">The property or field name, unescaped (used in strings and checkpoint names).</param>
/// <param name="MemberAccess">The name as C# code must write it (keywords escaped with @).</param>
/// <param name="InFeatures">The input features when the initializer passes a compile-time constant, else null.</param>
/// <param name="OutFeatures">The output features when the initializer passes a compile-time constant, else null.</param>
/// <param name="Target">What the member holds: a Linear, or an Embedding table (split by vocabulary id).</param>
/// <param name="Optional">Declared nullable (<c>Linear?</c>): the module may hold no layer there (a head tied to the
/// embedding, an optional projection), and generated code skips it when this module's member is null.</param>
/// <param name="HasBias">Whether the initializer's layer has a bias, when it says so with a constant, else null. Only a hint
/// for doc comments: the member may hold another Linear at run time, so generated code never drops the bias on it.</param>
internal sealed record LayerSpec(
    TypeHierarchy Module,
    string MemberName,
    string MemberAccess,
    LayerTarget Target,
    SplitKind Split,
    LayerOptions Options,
    int? InFeatures,
    int? OutFeatures,
    bool? HasBias,
    bool Optional = false)
{
    /// <summary>The generated nested class that holds this layer's shard.</summary>
    public string ShardClassName => MemberName + Split + "Shard";

    /// <summary>
    /// Whether the generator emits this layer's shard class: a Linear whose split has no runtime shard class. An embedding's
    /// shard is the runtime's EmbeddingShard (a lookup, not a GEMM); a vocabulary head's is VocabParallelLinear.
    /// </summary>
    public bool EmitsShardClass => Target == LayerTarget.Linear && SplitContracts.For(Split).RuntimeShard is null;

    /// <summary>What the layer takes, returns and moves: the split contract resolved for the options.</summary>
    public LayerContract Contract => SplitContracts.For(Split).Resolve(Options);
}

/// <summary>The kind of member a layer is.</summary>
internal enum LayerTarget
{
    Linear,
    Embedding,
}
