using Microsoft.CodeAnalysis;
using TpCodegen.Analyzers.Tests.Rules;
using VerifyEscapes = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.PartialEscapesAnalyzer>;
using VerifySplit = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.DataSplitByTensorParallelGroupAnalyzer>;

namespace TpCodegen.Analyzers.Tests;

/// <summary>
/// The rules read each tree's code once (Toolkit/SourceOperations) rather than through the driver's operation actions:
/// every place code runs must still be seen, a body of every kind of member and a program's top-level statements.
/// </summary>
public sealed class SourceOperationsTests
{
    private const string Split = "tokens / mesh.TensorParallel.Size";

    [Fact]
    public Task Code_in_every_kind_of_member_is_read() => VerifySplit.VerifyAsync($$"""
        using System;
        using TpCodegen.Collectives;

        class Loader
        {
            static DeviceMesh mesh = null!;
            static int tokens = 8;
            static int field = {|#0:{{Split}}|};
            static Func<int> later = () => {|#1:{{Split}}|};
            static int Initialized { get; } = {|#2:{{Split}}|};
            int Arrow => {|#3:{{Split}}|};
            int Getter { get { return {|#4:{{Split}}|}; } }
            int this[int i] => {|#5:{{Split}}|};
            Loader() { int x = {|#6:{{Split}}|}; }
            public static int operator +(Loader a, Loader b) => {|#7:{{Split}}|};
            void Method()
            {
                int Local() => {|#8:{{Split}}|};
            }
        }
        """,
        Enumerable.Range(0, 9).Select(i => VerifySplit.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(i).WithArguments(Split, "tokens", "'mesh.TensorParallel.Size'")).ToArray());

    [Fact]
    public Task Top_level_statements_are_read()
    {
        var test = new VerifySplit.Test
        {
            TestCode = $$"""
                using TpCodegen.Collectives;

                DeviceMesh mesh = null!;
                int tokens = 8;
                int perRank = {|#0:{{Split}}|};
                """,
        };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.Add(VerifySplit.Diagnostic(Descriptors.DataSplitByTensorParallelGroup).WithLocation(0).WithArguments(Split, "tokens", "'mesh.TensorParallel.Size'"));
        return test.RunAsync();
    }

    [Fact]
    public Task A_placement_walk_runs_on_top_level_statements()
    {
        // The program's statements come first, the module after them.
        var test = new VerifyEscapes.Test
        {
            TestCode = """
                using System;
                using TpCodegen;

                var block = new Block();
                DTensor x = null!;
                var y = block.DownPartial.Forward(block.Up.Forward(x));
                Console.WriteLine({|#0:y|});

                """ + Modules.With("").Replace("using System;\nusing TpCodegen;\n", ""),
        };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.Add(VerifyEscapes.Diagnostic(Descriptors.PartialEscapes).WithLocation(0)
            .WithArguments("y", "the output of row layer 'DownPartial' with ReduceResults = false", "Console.WriteLine"));
        return test.RunAsync();
    }
}
