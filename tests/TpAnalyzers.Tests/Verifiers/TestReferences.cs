using Microsoft.CodeAnalysis.Testing;

namespace TpCodegen.Analyzers.Tests.Verifiers;

/// <summary>What test compilations reference: the .NET 10 reference assemblies and TpRuntime, as a user's project does.</summary>
internal static class TestReferences
{
    // ReferenceAssemblies.Net.Net90 asks for a package version the registry does not serve; name the 10.0 pack directly.
    public static ReferenceAssemblies Net10 { get; } = new(
        "net10.0",
        new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"),
        Path.Combine("ref", "net10.0"));

    public static string TpRuntime => typeof(TpCodegen.Linear).Assembly.Location;

    /// <summary>
    /// TpRuntime and what its public API exposes (Linear.Forward has a Tensor&lt;float&gt; overload): without
    /// System.Numerics.Tensors every call to such an overloaded member is CS0012.
    /// </summary>
    public static IReadOnlyList<string> Runtime { get; } =
    [
        TpRuntime,
        typeof(System.Numerics.Tensors.Tensor<float>).Assembly.Location,
    ];
}
