namespace TpCodegen.Generator;

/// <summary>Names of the generator's pipeline steps, for <c>WithTrackingName</c> and the incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>One <c>LayerSpec</c> per marked member that the generator can handle.</summary>
    public const string Layers = "TensorParallel.Layers";

    /// <summary>All layers of the compilation, collected.</summary>
    public const string AllLayers = "TensorParallel.AllLayers";

    /// <summary>One <c>ModuleSpec</c> per type holding marked layers.</summary>
    public const string Modules = "TensorParallel.Modules";
}
