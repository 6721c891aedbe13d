using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.TensorParallelGroupSpansHostsAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class TensorParallelGroupSpansHostsTests
{
    private static string Job(string ranksPerHost, string body) => $$"""
        using TpCodegen.Collectives;

        public static class Job
        {
            {{ranksPerHost}}
            private const int Tp = 3;

            public static void Main() => Launcher.Run(12, world =>
            {
                {{body}}
            });
        }
        """;

    private static string Message(int tp, int perHost, string source, int group, string ranks, string hosts, string valid) =>
        $"DeviceMesh.Create makes tensor-parallel groups of tp={tp} consecutive ranks, but each host runs {perHost} ranks ({source}): tp[{group}] (world ranks {ranks}) spans hosts {hosts}, so its all-reduces, two per layer per token, cross the network; a tp that divides {perHost} keeps every group on one machine: {valid}";

    [Fact]
    public Task A_tp_that_does_not_divide_the_ranks_per_host_is_flagged() => Verify.VerifyAsync(Job("private const int RanksPerHost = 4;", """
                using var mesh = {|#0:DeviceMesh.Create(world, 4, Tp)|};
                using var named = {|#1:DeviceMesh.Create(world, tensorParallel: 3, dataParallel: 4)|};
        """),
        Verify.Diagnostic(Descriptors.TensorParallelGroupSpansHosts).WithLocation(0).WithMessage(Message(3, 4, "const RanksPerHost in 'Job'", 1, "3-5", "0 and 1", "1, 2, 4")),
        Verify.Diagnostic(Descriptors.TensorParallelGroupSpansHosts).WithLocation(1).WithMessage(Message(3, 4, "const RanksPerHost in 'Job'", 1, "3-5", "0 and 1", "1, 2, 4")));

    /// <summary>
    /// The analyzer and the runtime read one layout rule: for a launch host by host, the analyzer speaks exactly when
    /// HostPlacement.Check (run on the host names such a launch gives) warns, unless no launch could keep tp on one host.
    /// </summary>
    [Theory]
    [InlineData(2, 4, 3)]
    [InlineData(3, 4, 4)]
    [InlineData(3, 6, 2)]
    [InlineData(4, 6, 3)]
    [InlineData(5, 8, 8)]
    [InlineData(8, 8, 2)]
    [InlineData(6, 4, 2)]
    public async Task The_analyzer_agrees_with_the_runtime_check(int tp, int perHost, int dp)
    {
        var hosts = Enumerable.Range(0, dp * tp).Select(rank => "node" + rank / perHost).ToArray();
        bool runtimeWarns = Collectives.HostPlacement.Check(hosts, tp) is not null;
        bool couldFit = tp <= perHost;
        var source = Job($"private const int RanksPerHost = {perHost};", $"using var mesh = DeviceMesh.Create(world, {dp}, {tp});");
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
            "Hosts",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(source)],
            CorrectModelCorpusTests.References());
        var diagnostics = await compilation
            .WithAnalyzers([new TpCodegen.Analyzers.Rules.TensorParallelGroupSpansHostsAnalyzer()])
            .GetAnalyzerDiagnosticsAsync();
        Assert.Equal(runtimeWarns && couldFit, diagnostics.Any(d => d.Id == "TP0025"));
    }

    [Fact]
    public Task Groups_that_fit_on_their_hosts_or_cannot_are_not_flagged() => Verify.VerifyAsync(Job("private const int RanksPerHost = 6;", """
                using var fits = DeviceMesh.Create(world, 4, Tp);
                using var two = DeviceMesh.Create(world, 6, 2);
                using var wider = DeviceMesh.Create(world, 1, 12);
                int tp = world.Size / 4;
                using var unknown = DeviceMesh.Create(world, 4, tp);
        """));

    [Fact]
    public Task Without_a_stated_number_of_ranks_per_host_nothing_is_flagged() => Verify.VerifyAsync(Job("", """
                using var mesh = DeviceMesh.Create(world, 4, Tp);
        """));

    [Fact]
    public Task A_world_that_fits_on_one_host_is_not_flagged() => Verify.VerifyAsync(Job("private const int RanksPerHost = 8;", """
                using var mesh = DeviceMesh.Create(world, 2, Tp);
        """));

    [Fact]
    public async Task The_ranks_per_host_come_from_the_msbuild_property()
    {
        var test = new Verify.Test
        {
            TestCode = Job("", """
                using var mesh = {|#0:DeviceMesh.Create(world, 2, 6)|};
        """),
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nbuild_property.TpRanksPerHost = 8\n"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(Descriptors.TensorParallelGroupSpansHosts).WithLocation(0)
            .WithMessage(Message(6, 8, "MSBuild property TpRanksPerHost", 1, "6-11", "0 and 1", "1, 2, 4, 8")));
        await test.RunAsync();
    }
}
