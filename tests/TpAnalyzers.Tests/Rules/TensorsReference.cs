using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using TpCodegen.Analyzers.Tests.Verifiers;

namespace TpCodegen.Analyzers.Tests.Rules;

/// <summary>
/// Test code that calls <c>Linear.Forward</c> needs System.Numerics.Tensors as well as TpRuntime: the compiler loads
/// both Forward overloads, and one takes a Tensor&lt;float&gt; (CS0012 otherwise). The shared verifier adds TpRuntime only.
/// </summary>
internal static class TensorsReference
{
    private static readonly MetadataReference Tensors = MetadataReference.CreateFromFile(typeof(System.Numerics.Tensors.Tensor).Assembly.Location);

    public static Task VerifyAsync<TAnalyzer>(string source, params DiagnosticResult[] expected)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new AnalyzerVerifier<TAnalyzer>.Test { TestCode = source };
        test.TestState.AdditionalReferences.Add(Tensors);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}
