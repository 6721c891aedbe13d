using TpCodegen.Generator.Helpers;

namespace TpCodegen.Generator.Model;

/// <summary>Where a module type lives: enough to re-open it as a partial declaration and to name its generated files.</summary>
/// <param name="Namespace">The containing namespace, or "" for the global namespace.</param>
/// <param name="MetadataName">Fully qualified metadata name ("Demo.Outer+LlamaMlp"): unique per type, used for hint names.</param>
/// <param name="FullyQualifiedName">The C# name with <c>global::</c> ("global::Demo.Outer.LlamaMlp").</param>
/// <param name="DisplayName">For plans and messages ("Demo.Outer.LlamaMlp").</param>
/// <param name="Types">Outermost first; the last one is the module itself.</param>
/// <param name="IsSealed">A sealed module's generated members cannot be virtual.</param>
/// <param name="BaseModule">The nearest base class that is itself a module ("global::Demo.Block"), or null: the generated
/// members then override the base's and shard its layers too.</param>
internal sealed record TypeHierarchy(
    string Namespace,
    string MetadataName,
    string FullyQualifiedName,
    string DisplayName,
    EquatableArray<ContainingType> Types,
    bool IsSealed,
    string? BaseModule);
