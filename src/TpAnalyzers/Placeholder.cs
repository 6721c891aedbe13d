// The analyzers arrive with the TpAnalyzers issue; this file keeps the project buildable until then.
namespace TpCodegen.Analyzers
{
    internal static class AnalyzerInfo
    {
        internal const string Category = "TensorParallel";
    }
}
