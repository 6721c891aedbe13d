using TpCodegen.Analyzers.Tests.Verifiers;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.PartialEscapesAnalyzer>;
using VerifyFix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.PartialEscapesAnalyzer, TpCodegen.Analyzers.CodeFixes.WrapInAllReduceCodeFix>;

namespace TpCodegen.Analyzers.Tests.Rules;

public class PartialEscapesTests
{
    private const string FromDownPartial = "the output of row layer 'DownPartial' with ReduceResults = false";

    [Theory]
    [InlineData("var t = {|#0:y|}.ToTensor();", "'.ToTensor()'")]
    [InlineData("var s = {|#0:y|}.LocalSpan[0];", "'.LocalSpan'")]
    [InlineData("var l = {|#0:y|}.Local;", "'.Local'")]
    [InlineData("Console.WriteLine({|#0:y|}.ToTensor());", "'.ToTensor()'")]
    [InlineData("var s = $\"y = {{|#0:y|}.LocalSpan[0]}\";", "'.LocalSpan'")]
    [InlineData("bool same = {|#0:y|} == x;", "the comparison '=='")]
    [InlineData("var a = {|#0:y|}.ToFloatArray();", "'.ToFloatArray()'")]
    public Task Partial_read_printed_or_compared_is_flagged(string statement, string how) => Verify.VerifyAsync(Modules.With($$"""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                {{statement}}
                return Ops.AllReduce(y);
            }
        """) + Extensions,
        Verify.Diagnostic(Descriptors.PartialEscapes).WithLocation(0).WithArguments("y", FromDownPartial, how));

    [Theory]
    [InlineData("var t = Ops.AllReduce(y).ToTensor();")]
    [InlineData("var t = y.FullTensor();")]
    [InlineData("Console.WriteLine(Ops.AllReduce(y));")]
    [InlineData("bool none = y == null;")]
    [InlineData("var s = Down.Forward(Up.Forward(x)).LocalSpan[0];")]
    [InlineData("var s = $\"{Up.Forward(x)}\";")]
    [InlineData("Console.WriteLine(y.Placement);")]
    // A DTensor's text is its shape, placement and group (DTensor.ToString), the same on every rank: no addend.
    [InlineData("Console.WriteLine(y);")]
    [InlineData("var s = $\"y = {y}\";")]
    [InlineData("var s = \"y = \" + y;")]
    [InlineData("System.Diagnostics.Debug.Assert(y.Placement is PartialPlacement, $\"{y} is not partial\");")]
    public Task Reduced_values_and_metadata_reads_are_not_flagged(string statement) => Verify.VerifyAsync(Modules.With($$"""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                {{statement}}
                return Ops.AllReduce(y);
            }
        """) + Extensions);

    [Fact]
    public Task Partial_handed_to_a_helper_that_prints_or_reads_it_is_flagged() => Verify.VerifyAsync(Modules.With("""
            private static void Log(DTensor h) => Console.WriteLine(h.ToTensor());
            private static void Describe(DTensor h) => Console.WriteLine($"{h}");
            private static float First(DTensor h) => h.LocalSpan[0];

            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                Log({|#0:y|});
                Describe(y);
                var first = First({|#1:y|});
                Log(Ops.AllReduce(y));
                return Ops.AllReduce(y);
            }
        """),
        Verify.Diagnostic(Descriptors.PartialEscapes).WithLocation(0).WithArguments("y", FromDownPartial, "'.ToTensor()' in 'Block.Log'"),
        Verify.Diagnostic(Descriptors.PartialEscapes).WithLocation(1).WithArguments("y", FromDownPartial, "'.LocalSpan' in 'Block.First'"));

    [Fact]
    public Task Fix_reduces_before_reading() => VerifyFix.VerifyCodeFixAsync(
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                Console.WriteLine({|#0:y|}.ToTensor());
                return Ops.AllReduce(y);
            }
        """),
        [VerifyFix.Diagnostic(Descriptors.PartialEscapes).WithLocation(0).WithArguments("y", FromDownPartial, "'.ToTensor()'")],
        Modules.With("""
            public DTensor Forward(DTensor x)
            {
                var y = DownPartial.Forward(Up.Forward(x));
                Console.WriteLine(Ops.AllReduce(y).ToTensor());
                return Ops.AllReduce(y);
            }
        """));

    private const string Extensions = """

        public static class DTensorExtensions
        {
            public static float[] ToFloatArray(this DTensor x) => x.LocalSpan.ToArray();
        }
        """;
}
