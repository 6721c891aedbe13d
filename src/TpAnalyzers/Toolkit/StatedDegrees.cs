using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The tensor-parallel degrees a module will be split by, as far as the compilation states them, most specific first:
/// a <c>const int TensorParallelDegree</c> (or <c>TpDegree</c>) in the module or a type around it; else the MSBuild
/// property <c>TpDegree</c> (made visible with <c>&lt;CompilerVisibleProperty Include="TpDegree" /&gt;</c>; a list
/// such as <c>2,4</c> checks each (a comma, since .editorconfig reads a semicolon as a comment)); else every constant tp of a <c>DeviceMesh.Create(world, dp, tp)</c> in the compilation.
/// </summary>
internal sealed class StatedDegrees
{
    private static readonly string[] DegreeConstants = { "TensorParallelDegree", "TpDegree" };

    private readonly ImmutableArray<int> _fromProperty;
    private readonly Lazy<ImmutableArray<int>> _fromMeshes;

    public StatedDegrees(Compilation compilation, AnalyzerOptions options)
    {
        _fromProperty = ParseProperty(options);
        // Read only when a module has constant shapes and states no degree itself; a syntax scan, done once.
        _fromMeshes = new Lazy<ImmutableArray<int>>(() => ScanMeshes(compilation), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The degrees to check <paramref name="module"/>'s shapes against; empty when none is stated.</summary>
    public ImmutableArray<int> For(INamedTypeSymbol? module)
    {
        for (var type = module; type is not null; type = type.ContainingType)
        {
            foreach (var name in DegreeConstants)
            {
                foreach (var member in type.GetMembers(name))
                {
                    if (member is IFieldSymbol { IsConst: true, ConstantValue: int degree } && degree > 0)
                        return ImmutableArray.Create(degree);
                }
            }
        }
        return _fromProperty.IsEmpty ? _fromMeshes.Value : _fromProperty;
    }

    /// <summary>The first of <paramref name="degrees"/> that <paramref name="allows"/> refuses, or null.</summary>
    public static int? FirstRefused(ImmutableArray<int> degrees, Func<int, bool> allows)
    {
        foreach (var degree in degrees)
        {
            if (!allows(degree)) return degree;
        }
        return null;
    }

    private static ImmutableArray<int> ParseProperty(AnalyzerOptions options)
    {
        if (!options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.TpDegree", out var value) || string.IsNullOrWhiteSpace(value))
            return ImmutableArray<int>.Empty;
        var degrees = ImmutableArray.CreateBuilder<int>();
        foreach (var part in value.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int degree) && degree > 0 && !degrees.Contains(degree))
                degrees.Add(degree);
        }
        return degrees.ToImmutable();
    }

    /// <summary>Syntax only (no semantic model), so it costs one walk of the trees that mention DeviceMesh.</summary>
    private static ImmutableArray<int> ScanMeshes(Compilation compilation)
    {
        var degrees = new SortedSet<int>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var root = tree.GetRoot();
            if (!root.ToFullString().Contains("DeviceMesh")) continue;
            foreach (var invocation in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Create" } access ||
                    !access.Expression.ToString().EndsWith("DeviceMesh", StringComparison.Ordinal))
                    continue;
                var arguments = invocation.ArgumentList.Arguments;
                ArgumentSyntax? tp = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "tensorParallel")
                    ?? (arguments.Count == 3 && arguments[2].NameColon is null ? arguments[2] : null);
                if (tp?.Expression is LiteralExpressionSyntax { Token.Value: int degree } && degree > 0) degrees.Add(degree);
            }
        }
        return degrees.ToImmutableArray();
    }
}
