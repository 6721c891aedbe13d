using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers
{
    /// <summary>
    /// Every rule in one screen. Partial: the parallelism rules (TP0010 and up) live in
    /// <c>Descriptors.Parallelism.cs</c>. Severities are defaults; a project changes them in .editorconfig with
    /// <c>dotnet_diagnostic.TP0001.severity = warning</c>.
    /// </summary>
    internal static partial class Descriptors
    {
        public const string Category = "TensorParallel";

        /// <summary>The rule's page in the repository: docs/rules/TPxxxx.md.</summary>
        public static string HelpLink(string id) => "https://github.com/tpcodegen/tpcodegen/blob/main/docs/rules/" + id + ".md";

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
    }
}
