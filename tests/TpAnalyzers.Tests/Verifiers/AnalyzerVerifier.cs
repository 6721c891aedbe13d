using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace TpCodegen.Analyzers.Tests.Verifiers;

/// <summary>
/// Runs one analyzer over test code written with markup: <c>{|#0:span|}</c> marks where a diagnostic must be,
/// and <c>Diagnostic(descriptor).WithLocation(0).WithArguments(...)</c> says which one, with its exact message.
/// </summary>
public static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new(descriptor);

    public static Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Net10;
            foreach (var path in TestReferences.Runtime) TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(path));
        }
    }
}
