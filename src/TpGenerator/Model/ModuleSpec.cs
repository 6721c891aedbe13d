using TpCodegen.Generator.Helpers;

namespace TpCodegen.Generator.Model;

/// <summary>A type holding marked layers, in source order: what the module's ShardFrom and GetPlan are built from.</summary>
internal sealed record ModuleSpec(TypeHierarchy Module, EquatableArray<LayerSpec> Layers);
