using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TpCodegen.Generator.Model;

namespace TpCodegen.Generator.Tests;

/// <summary>
/// The generator re-runs on every keystroke in an IDE: an edit that does not touch a marked declaration must leave
/// every step cached, and editing one layer must regenerate only that layer (and its module's summary).
/// </summary>
public sealed class IncrementalityTests
{
    private const string Models = """
        using TpCodegen;

        namespace Demo;

        public partial class LlamaMlp(int hidden, int intermediate)
        {
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false);
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: false);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: false);

            public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
        }

        public partial class Attention
        {
            [TensorParallel(Split.Column)] public Linear Qkv { get; } = new(64, 192);
            [TensorParallel(Split.Row)] public Linear O { get; } = new(64, 64);
        }
        """;

    private const string Other = """
        namespace Demo;

        public static class Helpers
        {
            public static int Twice(int x) => 2 * x;
        }
        """;

    private static readonly string[] s_steps = [TrackingNames.Layers, TrackingNames.AllLayers, TrackingNames.Modules];

    public static TheoryData<string> UnrelatedEdits => new() { "comment", "new class", "method body", "other file" };

    [Theory]
    [MemberData(nameof(UnrelatedEdits))]
    public void Unrelated_edit_leaves_every_step_cached(string edit)
    {
        var compilation = GeneratorHarness.Compile(Models, Other);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        AssertReasons(driver.GetRunResult(), IncrementalStepRunReason.New);

        var edited = edit switch
        {
            "comment" => Replace(compilation, 0, "public partial class Attention", "// attention projections\npublic partial class Attention"),
            "new class" => Replace(compilation, 0, "public partial class Attention", "public sealed class Unrelated { public int X; }\n\npublic partial class Attention"),
            "method body" => Replace(compilation, 0, "=> Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));", "=> Down.Forward(Ops.Relu(Gate.Forward(x)) * Up.Forward(x));"),
            _ => Replace(compilation, 1, "2 * x", "x + x"),
        };
        driver = driver.RunGenerators(edited);
        var result = driver.GetRunResult();
        foreach (var step in s_steps)
            foreach (var output in Outputs(result, step))
                Assert.True(output is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {output} after a {edit} edit.");
        foreach (var output in result.Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"source output {output.Reason} after a {edit} edit.");
    }

    [Fact]
    public void Editing_one_layer_regenerates_only_that_layer_and_its_module()
    {
        var compilation = GeneratorHarness.Compile(Models, Other);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var before = driver.GetRunResult().Results[0].GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

        driver = driver.RunGenerators(Replace(compilation, 0,
            "[TensorParallel(Split.Row)] public Linear Down", "[TensorParallel(Split.Row, ReduceResults = false)] public Linear Down"));
        var result = driver.GetRunResult();

        var layers = result.Results[0].TrackedSteps[TrackingNames.Layers].SelectMany(s => s.Outputs).ToArray();
        Assert.Equal(5, layers.Length);
        Assert.Single(layers, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal("Down", ((LayerSpec)layers.Single(o => o.Reason == IncrementalStepRunReason.Modified).Value).MemberName);
        Assert.All(layers.Where(o => o.Reason != IncrementalStepRunReason.Modified),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));

        var modules = Outputs(result, TrackingNames.Modules).ToArray();
        // Modules come in ordinal order of their metadata names: Demo.Attention, then Demo.LlamaMlp.
        Assert.Equal([IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Modified], modules);

        var after = result.Results[0].GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        var changed = after.Keys.Where(k => before[k] != after[k]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["Demo.LlamaMlp.Down.TensorParallel.g.cs", "Demo.LlamaMlp.TensorParallel.g.cs"], changed);
    }

    [Fact]
    public void Model_types_hold_no_symbols_syntax_or_compilations()
    {
        Type[] forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxToken), typeof(Compilation), typeof(SemanticModel), typeof(Location), typeof(SyntaxTree)];
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>([typeof(LayerSpec), typeof(ModuleSpec)]);
        while (pending.Count > 0)
        {
            var type = pending.Pop();
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.IsEnum) continue;
            Assert.DoesNotContain(forbidden, f => f.IsAssignableFrom(type));
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                var fieldType = field.FieldType.IsArray ? field.FieldType.GetElementType()! : field.FieldType;
                Assert.False(fieldType == typeof(object), $"{type.Name}.{field.Name} is an object: it could hold anything.");
                pending.Push(fieldType);
                foreach (var argument in fieldType.IsGenericType ? fieldType.GetGenericArguments() : []) pending.Push(argument);
            }
        }
        Assert.Contains(typeof(TypeHierarchy), seen);
        Assert.Contains(typeof(ContainingType), seen);
    }

    private static IEnumerable<IncrementalStepRunReason> Outputs(GeneratorDriverRunResult result, string step) =>
        result.Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static void AssertReasons(GeneratorDriverRunResult result, IncrementalStepRunReason expected)
    {
        foreach (var step in s_steps)
            Assert.All(Outputs(result, step), reason => Assert.Equal(expected, reason));
    }

    private static CSharpCompilation Replace(CSharpCompilation compilation, int treeIndex, string oldText, string newText)
    {
        var tree = compilation.SyntaxTrees.ElementAt(treeIndex);
        string text = tree.ToString();
        Assert.Contains(oldText, text);
        var newTree = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text.Replace(oldText, newText)));
        return compilation.ReplaceSyntaxTree(tree, newTree);
    }
}
