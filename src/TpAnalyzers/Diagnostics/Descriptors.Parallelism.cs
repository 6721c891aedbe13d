using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers.Diagnostics;

// The parallelism rules in one screen. Errors are real bugs (wrong numbers, a deadlock, a layer the generator
// drops); warnings are heuristics that read names, which a project may turn down in .editorconfig.
internal static partial class Descriptors
{
    // Spelled out here rather than shared with the placement-flow part, so that each half of the catalog builds alone.
    private const string ParallelismCategory = "TensorParallel";
    private const string ParallelismHelpRoot = "https://github.com/tpcodegen/tpcodegen/blob/main/docs/rules/";

    internal static readonly DiagnosticDescriptor PartialSumAveraged = new(
        id: RuleIds.PartialSumAveraged,
        title: "Tensor-parallel partial sums reduced with Average",
        messageFormat: "{0} uses ReduceOp.Average on {1}: tensor-parallel partial sums must be summed, and an average divides the layer's output by the TP degree; use ReduceOp.Sum",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The ranks of a tensor-parallel group each hold an addend of a row-parallel layer's output; only their sum is the output. Averaging is data-parallel gradient arithmetic and belongs on the data-parallel group.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.PartialSumAveraged + ".md");

    internal static readonly DiagnosticDescriptor ShardReducedOverTensorParallelGroup = new(
        id: RuleIds.ShardReducedOverTensorParallelGroup,
        title: "Weight shard or its gradient all-reduced over the tensor-parallel group",
        messageFormat: "{0} reduces '{1}', which belongs to tensor-parallel layer '{2}', over the tensor-parallel group {3}: each rank holds a different shard, so the reduction mixes them; reduce the gradients of sharded weights over the data-parallel group only",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Rank r of a tensor-parallel group holds slice r of a layer's weight; summing or averaging the slices over that group adds unrelated numbers. Gradients of a sharded weight are reduced over the ranks that hold the same slice: the data-parallel group.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.ShardReducedOverTensorParallelGroup + ".md");

    internal static readonly DiagnosticDescriptor DataSplitByTensorParallelGroup = new(
        id: RuleIds.DataSplitByTensorParallelGroup,
        title: "Data split by the tensor-parallel group",
        messageFormat: "'{0}' splits the data '{1}' by {2}: every rank of a tensor-parallel group must see the same batch; shard data by the data-parallel group (mesh.DataParallel.Rank and Size)",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Tensor parallelism cuts a layer's width, not its batch. A data split keyed on the tensor-parallel rank or size gives the ranks of one group different tokens, and the layer's collectives then combine unrelated rows.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.DataSplitByTensorParallelGroup + ".md");

    internal static readonly DiagnosticDescriptor BatchScaledByTensorParallelDegree = new(
        id: RuleIds.BatchScaledByTensorParallelDegree,
        title: "Batch size multiplied by the tensor-parallel degree",
        messageFormat: "'{0}' multiplies the batch '{1}' by the tensor-parallel degree '{2}': tensor parallelism splits each layer's width, not the batch, so the ranks of a group share one batch; scale the batch by the data-parallel degree instead",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Treating tensor parallelism as data parallelism overstates the global batch by the TP degree, which skews learning rates, schedules and throughput figures.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.BatchScaledByTensorParallelDegree + ".md");

    internal static readonly DiagnosticDescriptor ShapeNotDivisibleByDegree = new(
        id: RuleIds.ShapeNotDivisibleByDegree,
        title: "Shape not divisible by the tensor-parallel degree",
        messageFormat: "{0}: {1} {2} is not divisible by tp={3}; valid tp: {4}",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A Column layer splits its output features and a Row layer its input features into tp equal slices, and attention splits its heads; a size the degree does not divide fails when the module is sharded. The degree comes from a const TensorParallelDegree or TpDegree in the module, the MSBuild property TpDegree, or DeviceMesh.Create(world, dp, tp) with a constant tp.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.ShapeNotDivisibleByDegree + ".md");

    internal static readonly DiagnosticDescriptor CollectiveUnderRankCondition = new(
        id: RuleIds.CollectiveUnderRankCondition,
        title: "Collective reached by only some ranks",
        messageFormat: "{0} is a collective, but only the ranks where {1} reach it: the other ranks never call it and the group blocks forever; call collectives on every rank and guard only rank-local work",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Every rank of a group must call the same collectives in the same order. A collective, or a call that runs one (a tensor-parallel layer's Forward, Redistribute, FullTensor, Ops.AllReduce, DeviceMesh.Create), under a condition on the rank deadlocks the group.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.CollectiveUnderRankCondition + ".md");

    internal static readonly DiagnosticDescriptor CollectiveOverWrongGroup = new(
        id: RuleIds.CollectiveOverWrongGroup,
        title: "Collective over a group other than the tensor-parallel group",
        messageFormat: "{0} uses {1}, the {2} group, where the tensor-parallel group is needed: {3}; use the tensor-parallel group (mesh.TensorParallel)",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The partial sums and shards of a tensor-parallel layer live on its tensor-parallel group. Reducing them over the data-parallel group or the world, or sharding a module over either, combines ranks that hold different batches or different replicas.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.CollectiveOverWrongGroup + ".md");

    internal static readonly DiagnosticDescriptor UnsupportedTensorParallelTarget = new(
        id: RuleIds.UnsupportedTensorParallelTarget,
        title: "[TensorParallel] on a member the generator cannot shard",
        messageFormat: "[TensorParallel] on '{0}' has no effect: {1}; the generator skips it",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator shards instance properties and fields of type TpCodegen.Linear declared in non-generic partial classes (nested ones only inside partial classes). Anywhere else it emits nothing, and the layer silently stays dense.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.UnsupportedTensorParallelTarget + ".md");

    internal static readonly DiagnosticDescriptor ConflictingTensorParallelOptions = new(
        id: RuleIds.ConflictingTensorParallelOptions,
        title: "Conflicting [TensorParallel] options",
        messageFormat: "{0} layer '{1}': {2}",
        category: ParallelismCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "GatherOutput applies only to Column layers; InputIsParallel and ReduceResults only to Row layers. A Row layer with a bias that keeps its output partial (ReduceResults = false) must leave the bias out (SkipBiasAdd = true), or every rank adds it to its partial sum.",
        helpLinkUri: ParallelismHelpRoot + RuleIds.ConflictingTensorParallelOptions + ".md");
}
