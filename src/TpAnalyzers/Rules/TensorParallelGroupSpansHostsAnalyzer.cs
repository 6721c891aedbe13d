// TP0025 — a tensor-parallel group that spans machines when it could stay inside one.
// DeviceMesh.Create(world, dp, tp) puts tp consecutive world ranks in a tensor-parallel group (MeshLayout, the rule the
// runtime splits by). Ranks started host by host, k per host (mpiexec -ppn k), keep every group on one machine exactly
// when tp divides k; otherwise some group's all-reduces cross the network. With a constant tp and a stated k (the
// MSBuild property TpRanksPerHost, or a const int RanksPerHost in the type that makes the mesh or one around it) the
// check runs here, through the same shared layout rule HostPlacement applies at run time to the real host names. A tp
// larger than k must span machines whatever the launch, so it is not flagged.
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TensorParallelGroupSpansHostsAnalyzer : InvocationRuleAnalyzer
{
    private const string RanksPerHostConstant = "RanksPerHost";
    private const string RanksPerHostProperty = "build_property.TpRanksPerHost";

    // More ranks on one machine than any machine runs: a typo, not a launch; the period walked stays small below it.
    private const int MaxRanksPerHost = 1024;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.TensorParallelGroupSpansHosts);

    private protected override bool AppliesTo(KnownTypes types) => types.DeviceMesh is not null;

    private protected override void AnalyzeInvocation(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        if (method.Name != "Create" || !KnownTypes.Is(method.ContainingType, types.DeviceMesh)) return;
        if (Constant(invocation, "tensorParallel") is not { } tp || tp < 1) return;
        if (RanksPerHost(context, invocation) is not ({ } perHost, { } source) || perHost < 1 || perHost > MaxRanksPerHost || tp > perHost) return;

        // Hosts and groups repeat every lcm(tp, k) ranks: one period shows every group that spans, or the whole world when
        // a constant dp makes it smaller.
        long period = Lcm(tp, perHost);
        long world = Constant(invocation, "dataParallel") is { } dp && dp >= 1 ? System.Math.Min((long)dp * tp, period) : period;
        var spanning = MeshLayout.SpanningGroups(MeshLayout.HostsFilledInOrder((int)world, perHost), tp);
        if (spanning.Count == 0) return;
        var first = spanning[0];
        string ranks = first.Ranks[0].ToString(CultureInfo.InvariantCulture) + "-" + first.Ranks[first.Ranks.Count - 1].ToString(CultureInfo.InvariantCulture);
        string hosts = string.Join(" and ", first.Hosts.Select(h => h.ToString(CultureInfo.InvariantCulture)));
        string valid = string.Join(", ", Degrees.Valid(perHost).Select(d => d.ToString(CultureInfo.InvariantCulture)));
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.TensorParallelGroupSpansHosts, invocation.Syntax.GetLocation(),
            tp, perHost, source, first.Group, ranks, hosts, valid));
    }

    private static int? Constant(IInvocationOperation invocation, string parameter)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == parameter && argument.Value.ConstantValue is { HasValue: true, Value: int value }) return value;
        }
        return null;
    }

    /// <summary>The ranks each host runs, and where the number comes from: a constant around the call first, then the MSBuild property.</summary>
    private static (int?, string?) RanksPerHost(SourceOperationContext context, IInvocationOperation invocation)
    {
        for (var type = context.ContainingSymbol.ContainingType; type is not null; type = type.ContainingType)
        {
            foreach (var member in type.GetMembers(RanksPerHostConstant))
            {
                if (member is IFieldSymbol { IsConst: true, ConstantValue: int value }) return (value, "const " + RanksPerHostConstant + " in '" + type.Name + "'");
            }
        }
        var options = context.Options.AnalyzerConfigOptionsProvider.GetOptions(invocation.Syntax.SyntaxTree);
        if ((options.TryGetValue(RanksPerHostProperty, out var text) || context.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue(RanksPerHostProperty, out text))
            && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int property))
            return (property, "MSBuild property TpRanksPerHost");
        return (null, null);
    }

    private static long Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0) (x, y) = (y, x % y);
        return (long)(a / x) * b;
    }
}
