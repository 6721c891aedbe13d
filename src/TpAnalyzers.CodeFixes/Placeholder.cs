// The code fixes arrive with the TpAnalyzers issue; this file keeps the project buildable until then.
namespace TpCodegen.Analyzers.CodeFixes
{
    internal static class CodeFixInfo
    {
        internal const string Category = TpCodegen.Analyzers.AnalyzerInfo.Category;
    }
}
