using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
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
/// such as <c>2,4</c> checks each (a comma, since .editorconfig reads a semicolon as a comment)); else every constant tp of a <c>DeviceMesh.Create(world, dp, tp)</c> in the compilation,
/// and the ranks of a <c>Launcher.Run</c> that works over its world as one group (hands it on, shards over it) and makes no mesh.
/// </summary>
internal sealed class StatedDegrees
{
    private static readonly string[] DegreeConstants = { "TensorParallelDegree", "TpDegree" };

    // The scan is the same for TP0014 and TP0019: one per compilation, shared.
    private static readonly ConditionalWeakTable<Compilation, Lazy<ImmutableArray<int>>> s_meshes = new();

    private readonly ImmutableArray<int> _fromProperty;
    private readonly Lazy<ImmutableArray<int>> _fromMeshes;

    public StatedDegrees(Compilation compilation, AnalyzerOptions options)
    {
        _fromProperty = ParseProperty(options);
        // Read only when a module has constant shapes and states no degree itself; a syntax scan, done once per compilation.
        _fromMeshes = Meshes(compilation);
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

    private static readonly ConditionalWeakTable<Compilation, StrongBox<bool>> s_anyStated = new();

    /// <summary>
    /// Whether the compilation may state a degree for some module: the MSBuild property, a degree constant in some type
    /// (a lookup in the declaration table), or a constant mesh. When none is stated, no constant size can be refused,
    /// and constant initializers need not be read (<see cref="ConstantInitializers"/>).
    /// </summary>
    public static bool AnyMayBeStated(Compilation compilation, AnalyzerOptions options) =>
        s_anyStated.GetValue(compilation, c => new StrongBox<bool>(
            !ParseProperty(options).IsEmpty ||
            c.ContainsSymbolsWithName(name => Array.IndexOf(DegreeConstants, name) >= 0, SymbolFilter.Member) ||
            !Meshes(c).Value.IsEmpty)).Value;

    private static Lazy<ImmutableArray<int>> Meshes(Compilation compilation) =>
        s_meshes.GetValue(compilation, c => new Lazy<ImmutableArray<int>>(() => ScanMeshes(c), LazyThreadSafetyMode.ExecutionAndPublication));

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

    /// <summary>
    /// Syntax only (no semantic model), so it costs one walk of the trees that mention DeviceMesh or a launcher: the tp of
    /// each <c>DeviceMesh.Create(world, dp, tp)</c>, and the ranks of a <c>Launcher.Run(ranks, world =&gt; ...)</c> (or
    /// <c>InProcessWorld.Run</c>) whose body hands its world on or shards over it and makes no mesh or <c>Split</c>
    /// groups, so that its world is the tensor-parallel group. A degree given
    /// as a constant of the same file (<c>const int Shards = 4;</c>) counts as well as a literal.
    /// </summary>
    private static ImmutableArray<int> ScanMeshes(Compilation compilation)
    {
        var degrees = new SortedSet<int>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            // The tree's own text (no copy for a parsed file), searched before any node is visited.
            var text = tree.GetText().ToString();
            if (text.IndexOf("DeviceMesh", StringComparison.Ordinal) < 0 && text.IndexOf("Launcher", StringComparison.Ordinal) < 0 &&
                text.IndexOf("InProcessWorld", StringComparison.Ordinal) < 0)
                continue;
            var root = tree.GetRoot();
            foreach (var invocation in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (invocation.Expression is not MemberAccessExpressionSyntax access) continue;
                var arguments = invocation.ArgumentList.Arguments;
                var receiver = access.Expression.ToString();
                ArgumentSyntax? degree = null;
                if (access.Name.Identifier.ValueText == "Create" && receiver.EndsWith("DeviceMesh", StringComparison.Ordinal))
                {
                    degree = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "tensorParallel")
                        ?? (arguments.Count == 3 && arguments[2].NameColon is null ? arguments[2] : null);
                }
                else if (access.Name.Identifier.ValueText == "Run" && (receiver.EndsWith("Launcher", StringComparison.Ordinal) || receiver.EndsWith("InProcessWorld", StringComparison.Ordinal)) &&
                         arguments.Count == 2 && ShardsOverItsWorld(arguments[1].Expression))
                {
                    degree = arguments[0];
                }
                if (degree is not null && ConstantOf(degree.Expression, root) is int value && value > 0) degrees.Add(value);
            }
        }
        return degrees.ToImmutableArray();
    }

    /// <summary>
    /// Whether a launcher's body works over the world it is given as one tensor-parallel group: it hands the world to
    /// something (<c>Mlp.ShardFrom(dense, world)</c>, <c>HuggingFaceModel.Load(dir, world)</c>,
    /// <c>DTensor.FromArray(..., world)</c>) or calls <c>ShardFrom</c>, and makes neither a mesh nor groups of its own
    /// with <c>Split</c> (then the world is not the tensor-parallel group). A body that only runs the world's own
    /// collectives (a data-parallel check, a collective test) states no degree.
    /// </summary>
    private static bool ShardsOverItsWorld(ExpressionSyntax launched)
    {
        string? world = launched switch
        {
            SimpleLambdaExpressionSyntax simple => simple.Parameter.Identifier.ValueText,
            ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: > 0 } parenthesized => parenthesized.ParameterList.Parameters[0].Identifier.ValueText,
            _ => null,
        };
        bool shards = false;
        foreach (var node in launched.DescendantNodes())
        {
            switch (node)
            {
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Create" } access when access.Expression.ToString().EndsWith("DeviceMesh", StringComparison.Ordinal):
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Split" }:
                    return false;
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ShardFrom" }:
                case ArgumentSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: var name } } when name == world:
                    shards = true;
                    break;
            }
        }
        return shards;
    }

    /// <summary>
    /// A literal, or the name of an <c>int</c> declared in the same file with a literal value: a constant, or a local
    /// that is never written again (<c>int tensorParallel = 4;</c>, the only declaration of that name in the file).
    /// </summary>
    private static int? ConstantOf(ExpressionSyntax expression, SyntaxNode root)
    {
        switch (expression)
        {
            case LiteralExpressionSyntax { Token.Value: int literal }:
                return literal;
            case IdentifierNameSyntax name:
                string identifier = name.Identifier.ValueText;
                var declarators = root.DescendantNodes().OfType<VariableDeclaratorSyntax>().Where(d => d.Identifier.ValueText == identifier).ToList();
                foreach (var declarator in declarators)
                {
                    bool isConst = declarator.Parent?.Parent switch
                    {
                        FieldDeclarationSyntax field => field.Modifiers.Any(m => m.IsKind(SyntaxKind.ConstKeyword)),
                        LocalDeclarationStatementSyntax local => local.IsConst,
                        _ => false,
                    };
                    if (isConst && declarator.Initializer?.Value is LiteralExpressionSyntax { Token.Value: int value }) return value;
                }
                if (declarators.Count == 1 &&
                    declarators[0] is { Parent.Parent: LocalDeclarationStatementSyntax, Initializer.Value: LiteralExpressionSyntax { Token.Value: int once } } &&
                    !IsWritten(identifier, root))
                    return once;
                return null;
            default:
                return null;
        }
    }

    /// <summary>Whether the file assigns, increments or passes by reference anything of that name.</summary>
    private static bool IsWritten(string identifier, SyntaxNode root)
    {
        foreach (var node in root.DescendantNodes())
        {
            var target = node switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
                PostfixUnaryExpressionSyntax postfix => postfix.Operand,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument => argument.Expression,
                _ => null,
            };
            if (target is IdentifierNameSyntax written && written.Identifier.ValueText == identifier) return true;
        }
        return false;
    }
}
