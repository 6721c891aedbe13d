using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace TpCodegen.Analyzers.Tests.Verifiers;

/// <summary>Runs an analyzer and its code fix: the diagnostics in <c>source</c>, then the exact text after the fix (and after Fix All).</summary>
public static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new(descriptor);

    public static Task VerifyCodeFixAsync(string source, DiagnosticResult[] expected, string fixedSource)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>As above, applying the code action of the given equivalence key (for diagnostics that offer several fixes).</summary>
    public static Task VerifyCodeFixAsync(string source, DiagnosticResult[] expected, string fixedSource, int codeActionIndex, string equivalenceKey)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource, CodeActionIndex = codeActionIndex, CodeActionEquivalenceKey = equivalenceKey };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Net10;
            foreach (var path in TestReferences.Runtime) TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(path));
            foreach (var path in TestReferences.Runtime) FixedState.AdditionalReferences.Add(MetadataReference.CreateFromFile(path));
        }
    }
}
