using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers;

/// <summary>
/// Every rule in one screen. Severities are defaults; a project changes them in .editorconfig with
/// <c>dotnet_diagnostic.TP0001.severity = warning</c>.
/// </summary>
internal static class Descriptors
{
    public const string Category = "TensorParallel";

    /// <summary>
    /// The rule's page, docs/rules/TPxxxx.md: a path relative to the repository root and to the root of the TpCodegen
    /// package, which ships the pages there (src/TpRuntime/TpRuntime.csproj). The project has no public web home yet, so
    /// no absolute link: one to a site that does not exist would answer a click with a 404.
    /// </summary>
    public static string HelpLink(string id) => "docs/rules/" + id + ".md";

    // {0} value, {1} where it comes from, {2} what consumes it.
    public static readonly DiagnosticDescriptor PartialNeedsFullTensor = new(
        RuleIds.PartialNeedsFullTensor,
        title: "Partial sum used where the full tensor is needed",
        messageFormat: "'{0}' is still a partial sum ({1}) but {2} needs the full tensor: all-reduce it first with Ops.AllReduce({0})",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A row-parallel output is a partial sum until it is all-reduced; a layer, a non-linear op, a product or the module's result computed from one addend is wrong on every rank.",
        helpLinkUri: HelpLink(RuleIds.PartialNeedsFullTensor));

    // {0} partial value, {1} its origin, {2} replicated value, {3} its origin.
    public static readonly DiagnosticDescriptor PartialAddedBeforeReduce = new(
        RuleIds.PartialAddedBeforeReduce,
        title: "Replicated value added to a partial sum before the reduce",
        messageFormat: "'{2}' ({3}) is added to the partial sum '{0}' ({1}) before the reduce, so the all-reduce adds it tp times: add it after the reduce, Ops.AllReduce({0}) + {2}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Every rank adds its copy of a replicated residual or bias to its addend; the all-reduce then sums tp copies of it.",
        helpLinkUri: HelpLink(RuleIds.PartialAddedBeforeReduce));

    // {0} value, {1} its origin, {2} consumer, {3} how to fix.
    public static readonly DiagnosticDescriptor ShardedIntoReplicatedInput = new(
        RuleIds.ShardedIntoReplicatedInput,
        title: "Sharded value fed to a layer that needs a replicated input",
        messageFormat: "'{0}' is sharded on its last dimension ({1}) but {2} needs a replicated input: {3}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A column-parallel output holds a slice of the features on each rank; a column layer or a dense layer multiplies by all input features and needs the full activation.",
        helpLinkUri: HelpLink(RuleIds.ShardedIntoReplicatedInput));

    // {0} value, {1} its origin, {2} consumer, {3} how to fix.
    public static readonly DiagnosticDescriptor FullIntoShardedInput = new(
        RuleIds.FullIntoShardedInput,
        title: "Replicated value fed to a row layer that expects its input sharded",
        messageFormat: "'{0}' is replicated ({1}) but {2} expects its input sharded on the last dimension: {3}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A row-parallel layer with InputIsParallel = true multiplies its rank's slice of the input features; given the full activation, its shapes do not match.",
        helpLinkUri: HelpLink(RuleIds.FullIntoShardedInput));

    // {0} value, {1} what gathers it, {2} what splits it again, {3} cost or empty.
    public static readonly DiagnosticDescriptor GatherThenSplit = new(
        RuleIds.GatherThenSplit,
        title: "Gather followed at once by a re-split",
        messageFormat: "'{0}' is gathered by {1} and split again at once by {2}: the all-gather is wasted communication{3}; keep it sharded",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "An all-gather whose result is only sliced again moves bytes every forward for nothing; pass the shard through instead.",
        helpLinkUri: HelpLink(RuleIds.GatherThenSplit));

    // {0} value, {1} its origin, {2} how it escapes.
    public static readonly DiagnosticDescriptor PartialEscapes = new(
        RuleIds.PartialEscapes,
        title: "Partial sum escapes unreduced",
        messageFormat: "'{0}' is still a partial sum ({1}) and {2} sees only this rank's addend: all-reduce it first with Ops.AllReduce({0})",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reading, printing or comparing a partial sum observes one rank's addend, which differs from rank to rank and from the true value.",
        helpLinkUri: HelpLink(RuleIds.PartialEscapes));

    public static readonly DiagnosticDescriptor ReplicaReducedAgain = new(
        RuleIds.ReplicaReducedAgain,
        title: "Replicated value reduced again",
        messageFormat: "'{0}' is already the whole value on every rank ({1}), so {2} adds tp copies of it: drop the reduce",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A row layer's reduced output, a module's replicated input or an all-reduce's result is the same full value on every rank of the tensor-parallel group. Summing it over that group again multiplies it by the degree: with a group's AllReduce on its local values the numbers are silently wrong, and Ops.AllReduce refuses it at run time.",
        helpLinkUri: HelpLink(RuleIds.ReplicaReducedAgain));

    // Parallelism rules: how a module reduces, splits data, sizes shapes and calls collectives. Errors are real
    // bugs (wrong numbers, a deadlock, a layer the generator drops); warnings are heuristics that read names.

    public static readonly DiagnosticDescriptor PartialSumAveraged = new(
        id: RuleIds.PartialSumAveraged,
        title: "Tensor-parallel partial sums reduced with Average",
        messageFormat: "{0} uses ReduceOp.Average on {1}: tensor-parallel partial sums must be summed, and an average divides the layer's output by the TP degree; use ReduceOp.Sum",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The ranks of a tensor-parallel group each hold an addend of a row-parallel layer's output; only their sum is the output. Averaging is data-parallel gradient arithmetic and belongs on the data-parallel group.",
        helpLinkUri: HelpLink(RuleIds.PartialSumAveraged));

    public static readonly DiagnosticDescriptor ShardReducedOverTensorParallelGroup = new(
        id: RuleIds.ShardReducedOverTensorParallelGroup,
        title: "Weight shard or its gradient all-reduced over the tensor-parallel group",
        messageFormat: "{0} reduces '{1}', which belongs to tensor-parallel layer '{2}', over the tensor-parallel group {3}: each rank holds a different shard, so the reduction mixes them; reduce the gradients of sharded weights over the data-parallel group only",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Rank r of a tensor-parallel group holds slice r of a layer's weight; summing or averaging the slices over that group adds unrelated numbers. Gradients of a sharded weight are reduced over the ranks that hold the same slice: the data-parallel group.",
        helpLinkUri: HelpLink(RuleIds.ShardReducedOverTensorParallelGroup));

    public static readonly DiagnosticDescriptor DataSplitByTensorParallelGroup = new(
        id: RuleIds.DataSplitByTensorParallelGroup,
        title: "Data split by the tensor-parallel group",
        messageFormat: "'{0}' splits the data '{1}' by {2}: every rank of a tensor-parallel group must see the same batch; shard data by the data-parallel group (mesh.DataParallel.Rank and Size)",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Tensor parallelism cuts a layer's width, not its batch. A data split keyed on the tensor-parallel rank or size gives the ranks of one group different tokens, and the layer's collectives then combine unrelated rows.",
        helpLinkUri: HelpLink(RuleIds.DataSplitByTensorParallelGroup));

    public static readonly DiagnosticDescriptor BatchScaledByTensorParallelDegree = new(
        id: RuleIds.BatchScaledByTensorParallelDegree,
        title: "Batch size multiplied by the tensor-parallel degree",
        messageFormat: "'{0}' multiplies the batch '{1}' by the tensor-parallel degree '{2}': tensor parallelism splits each layer's width, not the batch, so the ranks of a group share one batch; scale the batch by the data-parallel degree instead",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Treating tensor parallelism as data parallelism overstates the global batch by the TP degree, which skews learning rates, schedules and throughput figures.",
        helpLinkUri: HelpLink(RuleIds.BatchScaledByTensorParallelDegree));

    public static readonly DiagnosticDescriptor HeadsNotSplittable = new(
        id: RuleIds.HeadsNotSplittable,
        title: "Head count the tensor-parallel degree cannot split",
        messageFormat: "{0}: {1} {2} heads cannot be split by tp={3}, since a head is never cut{4}; valid tp: {5}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A layer whose OutputLayout or InputLayout is made of attention heads (FeatureLayout.Heads, KeyValueHeads, Qkv) gives each rank whole heads: the degree must divide the query heads, and divide the key/value heads or (on a column layer) be a multiple of them, which replicates each KV head. With constant counts and a constant degree the mismatch is known at compile time.",
        helpLinkUri: HelpLink(RuleIds.HeadsNotSplittable));

    public static readonly DiagnosticDescriptor GlobalHeadsOnShard = new(
        id: RuleIds.GlobalHeadsOnShard,
        title: "Global head count used on a rank's shard",
        messageFormat: "'{0}' reshapes '{1}', this rank's shard of {2} (heads / tp of its {3} heads), into '{4}' heads, the global count: use the rank's count, {1}.LocalFeatures / the head dimension",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A column layer whose output is made of heads hands each rank heads / tp of them. Reshaping its local tensor into the global number of heads fails on the shape or, with an inferred dimension, silently mixes tokens and heads.",
        helpLinkUri: HelpLink(RuleIds.GlobalHeadsOnShard));

    public static readonly DiagnosticDescriptor VocabularyLogitsGathered = new(
        id: RuleIds.VocabularyLogitsGathered,
        title: "Vocabulary-parallel logits gathered in full",
        messageFormat: "'{0}' gathers the logits of {1} in full on every rank{2}: pick tokens with VocabParallel.Argmax or VocabParallel.Sample, which exchange one value and id per token, and compute the loss on the shards with VocabParallelCrossEntropy.Loss",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A Split.Vocab layer leaves its logits split over the vocabulary (Shard(-1), padded). Gathering them moves vocabulary x tokens floats to every rank where the argmax, sampling or loss needs one (value, id) pair or one scalar per token.",
        helpLinkUri: HelpLink(RuleIds.VocabularyLogitsGathered));

    // {0} logits, {1} their origin, {2} whose shards they were, {3} how to pass the shard.
    public static readonly DiagnosticDescriptor VocabularyLossFedGatheredLogits = new(
        id: RuleIds.VocabularyLossFedGatheredLogits,
        title: "Vocabulary-parallel loss fed gathered logits",
        messageFormat: "VocabParallelCrossEntropy.Loss is fed '{0}', logits gathered in full ({1}{2}): the loss works on each rank's vocabulary shard and exchanges a few floats per token; {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "VocabParallelCrossEntropy.Loss takes the Shard(-1) logits of a Split.Vocab head and never gathers them. Gathering them first moves vocabulary x tokens floats to every rank, and the gathered logits of a Vocab head carry its padding columns, which the loss rejects when tp does not divide the vocabulary (gpt-neox #905).",
        helpLinkUri: HelpLink(RuleIds.VocabularyLossFedGatheredLogits));

    // {0} value, {1} its origin, {2} what needs another placement, {3} how to fix.
    public static readonly DiagnosticDescriptor TokenShardWithoutGather = new(
        id: RuleIds.TokenShardWithoutGather,
        title: "Token shard used without the sequence-parallel gather or reduce-scatter",
        messageFormat: "'{0}' is split by tokens, Shard(-2) ({1}), but {2}: {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Under sequence parallelism the residual stream is split by tokens: norms and residual adds run on a rank's tokens, the tokens are all-gathered (Redistribute(Placement.Replicate)) before column layers and attention, and the row layers' partial sums are reduce-scattered over the tokens (Redistribute(Placement.Shard(-2))) before the residual add. A token shard fed to a layer, or added to a partial sum or to a value of another placement, skips one of the two; a replica's block wrapped as a token shard (DTensor.FromLocal) skips the split and tiles the sequence tp times (pytorch #129355).",
        helpLinkUri: HelpLink(RuleIds.TokenShardWithoutGather));

    // {0} tp, {1} ranks per host, {2} where that number comes from, {3} a spanning group, {4} its first and last rank, {5} its hosts, {6} valid tp.
    public static readonly DiagnosticDescriptor TensorParallelGroupSpansHosts = new(
        id: RuleIds.TensorParallelGroupSpansHosts,
        title: "Tensor-parallel group spans machines",
        messageFormat: "DeviceMesh.Create makes tensor-parallel groups of tp={0} consecutive ranks, but each host runs {1} ranks ({2}): tp[{3}] (world ranks {4}) spans hosts {5}, so its all-reduces, two per layer per token, cross the network; a tp that divides {1} keeps every group on one machine: {6}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A tensor-parallel group belongs on the fastest links, inside one machine. DeviceMesh puts tp consecutive world ranks in a group; started host by host with a number of ranks per host that tp does not divide, some group spans two machines. With a constant tp and a stated number of ranks per host (the MSBuild property TpRanksPerHost, or a const int RanksPerHost) the analyzer sees it before the run; DeviceMesh.PlacementWarning says it at run time for any launch.",
        helpLinkUri: HelpLink(RuleIds.TensorParallelGroupSpansHosts));

    public static readonly DiagnosticDescriptor FusedLayerWithoutSegments = new(
        id: RuleIds.FusedLayerWithoutSegments,
        title: "Fused layer split contiguously instead of per segment",
        messageFormat: "Column layer '{0}' has {1} output features, a sum of segments, but no OutputLayout: the column split cuts the fused dimension into contiguous 1/tp blocks, so a rank gets all of one segment and none of another; say what it is made of, OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) or FeatureLayout.Fused((\"gate\", n), (\"up\", n))",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A fused projection (q|k|v, gate|up) must be split segment by segment so that every rank gets its heads of q, of k and of v. Without an OutputLayout the split is one contiguous block per rank (Megatron #985, vLLM #42803).",
        helpLinkUri: HelpLink(RuleIds.FusedLayerWithoutSegments));

    public static readonly DiagnosticDescriptor ShapeNotDivisibleByDegree = new(
        id: RuleIds.ShapeNotDivisibleByDegree,
        title: "Shape not divisible by the tensor-parallel degree",
        messageFormat: "{0}: {1} {2} is not divisible by tp={3}; valid tp: {4}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A Column layer splits its output features and a Row layer its input features into tp equal slices, and attention splits its heads; a size the degree does not divide fails when the module is sharded. The degree comes from a const TensorParallelDegree or TpDegree in the module, the MSBuild property TpDegree, or DeviceMesh.Create(world, dp, tp) with a constant tp.",
        helpLinkUri: HelpLink(RuleIds.ShapeNotDivisibleByDegree));

    public static readonly DiagnosticDescriptor CollectiveUnderRankCondition = new(
        id: RuleIds.CollectiveUnderRankCondition,
        title: "Collective reached by only some ranks",
        messageFormat: "{0} is a collective, but only the ranks where {1} reach it: the other ranks never call it and the group blocks forever; call collectives on every rank and guard only rank-local work",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Every rank of a group must call the same collectives in the same order. A collective, or a call that runs one (a tensor-parallel layer's Forward, Redistribute, FullTensor, Ops.AllReduce, DeviceMesh.Create), under a condition on the rank deadlocks the group.",
        helpLinkUri: HelpLink(RuleIds.CollectiveUnderRankCondition));

    public static readonly DiagnosticDescriptor CollectiveOverWrongGroup = new(
        id: RuleIds.CollectiveOverWrongGroup,
        title: "Collective over a group other than the tensor-parallel group",
        messageFormat: "{0} uses {1}, the {2} group, where the tensor-parallel group is needed: {3}; use the tensor-parallel group (mesh.TensorParallel)",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The partial sums and shards of a tensor-parallel layer live on its tensor-parallel group. Reducing them over the data-parallel group or the world, or sharding a module over either, combines ranks that hold different batches or different replicas.",
        helpLinkUri: HelpLink(RuleIds.CollectiveOverWrongGroup));

    public static readonly DiagnosticDescriptor UnsupportedTensorParallelTarget = new(
        id: RuleIds.UnsupportedTensorParallelTarget,
        title: "[TensorParallel] on a member the generator cannot shard",
        messageFormat: "[TensorParallel] on '{0}' has no effect: {1}; the generator skips it",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator shards instance properties and fields of type TpCodegen.Linear declared in non-generic partial classes (nested ones only inside partial classes). Anywhere else it emits nothing, and the layer silently stays dense.",
        helpLinkUri: HelpLink(RuleIds.UnsupportedTensorParallelTarget));

    public static readonly DiagnosticDescriptor ConflictingTensorParallelOptions = new(
        id: RuleIds.ConflictingTensorParallelOptions,
        title: "Conflicting [TensorParallel] options",
        messageFormat: "{0} layer '{1}': {2}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "GatherOutput applies only to Column layers; InputIsParallel and ReduceResults only to Row layers. A Column layer cannot both gather its output (GatherOutput = true) and skip its bias (SkipBiasAdd = true): the skipped bias is this rank's slice while the output is gathered in full.",
        helpLinkUri: HelpLink(RuleIds.ConflictingTensorParallelOptions));
}
