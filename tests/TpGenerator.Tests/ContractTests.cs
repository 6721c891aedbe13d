extern alias analyzers;

using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using TpCodegen.Parallel;
using AnalyzerLayerInfo = analyzers::TpCodegen.Analyzers.Flow.LayerInfo;
using ShapeNotDivisibleAnalyzer = analyzers::TpCodegen.Analyzers.Rules.ShapeNotDivisibleAnalyzer;
using UnsupportedTargetAnalyzer = analyzers::TpCodegen.Analyzers.Rules.UnsupportedTensorParallelTargetAnalyzer;

namespace TpCodegen.Generator.Tests;

/// <summary>
/// The split contract seen from its three readers at once. Every combination of split and options is marked on a
/// layer; the generator's output says what it emits (the placements it declares and the moves it makes), the flow
/// analysis says what placements it infers, and the runtime, running the generated shard at tp=2, says what
/// placements come out and which collectives it counts, as does the plan. All three must agree, and the collectives
/// must be the ones DTensor's documented moves make (Shard(-1) to Replicate all-gathers, Partial(Sum) to Replicate
/// all-reduces, Partial(Sum) to Shard(-1) reduce-scatters, Replicate to Shard(-1) keeps a slice): a change to one
/// side alone (the emitter, the analyzers' reading, the runtime's moves or plan) breaks one of these equalities.
/// </summary>
public sealed class ContractTests
{
    private const int Tp = 2;
    private const int Tokens = 3;
    private const int InFeatures = 12;
    private const int OutFeatures = 20;

    private static readonly string[] s_options = ["GatherOutput", "InputIsParallel", "ReduceResults", "SkipBiasAdd"];
    private static readonly bool[] s_defaults = [false, true, true, false];

    private static readonly Lazy<Probes> s_probes = new(Probes.Build);

    public static TheoryData<int> Combinations => new(Enumerable.Range(0, Probes.Count));

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Generator_analyzers_and_runtime_agree(int combination)
    {
        var probes = s_probes.Value;
        string what = probes.Describe(combination);
        var emitted = Emitted.Parse(probes.GeneratedLayer(combination));
        var inferred = probes.Inferred(combination);
        var ran = probes.Run(combination);

        // Placements: declared by the generated shard, inferred by the analyzers, produced at run time, planned.
        Assert.True(emitted.Input == inferred.Input, $"{what}: generator declares input {emitted.Input}, analyzers infer {inferred.Input}");
        Assert.True(emitted.Output == inferred.Output, $"{what}: generator declares output {emitted.Output}, analyzers infer {inferred.Output}");
        Assert.True(ran.ShardInput == emitted.Input, $"{what}: runtime shard takes {ran.ShardInput}, generator declares {emitted.Input}");
        Assert.True(ran.Output == emitted.Output, $"{what}: runtime forward returned {ran.Output}, generator declares {emitted.Output}");
        Assert.True(ran.PlanInput == emitted.Input && ran.PlanOutput == emitted.Output,
            $"{what}: plan says {ran.PlanInput} -> {ran.PlanOutput}, generator {emitted.Input} -> {emitted.Output}");
        Assert.True(ran.InputGradient == emitted.Input,
            $"{what}: the backward returned dX as {ran.InputGradient}, the forward's input is {emitted.Input}");

        // Collectives: the moves the generator emitted, the ones the runtime counted, the ones the plan lists.
        Assert.Equal(emitted.ForwardCollectives, ran.ForwardCollectives);
        Assert.Equal(emitted.BackwardCollectives, ran.BackwardCollectives);
        Assert.Equal(ran.ForwardCollectives, ran.PlanCollectives);
        Assert.Equal(ran.ForwardBytes, ran.PlanBytes);

        // What the analyzers' rules key on (TP0005): the gather and the input slice the generated forward makes.
        Assert.True(inferred.GathersOutput == emitted.ForwardCollectives.Contains(nameof(CollectiveKind.AllGather)),
            $"{what}: analyzers say gathers={inferred.GathersOutput}, the generated forward moves {string.Join(",", emitted.ForwardCollectives)}");
        Assert.True(inferred.SlicesInput == emitted.SlicesInput, $"{what}: analyzers say slices-input={inferred.SlicesInput}, generator {emitted.SlicesInput}");
    }

    [Fact]
    public void Split_and_PlacementKind_name_the_contract_rows_the_generator_reads()
    {
        // The generator and the analyzers read the attribute's integer: it must name the same row in the runtime.
        foreach (var split in Enum.GetValues<Split>())
            Assert.Equal(split.ToString(), Contract.SplitContracts.ForValue((int)split)?.Name);
        foreach (var kind in Enum.GetValues<PlacementKind>())
            Assert.Equal(kind.ToString(), ((Contract.Layout)(int)kind).ToString());
    }

    /// <summary>
    /// A degree the split's divided dimension does not allow: the analyzers (TP0014, at compile time) and the runtime
    /// (the generated GetPlan, at run time) refuse the same layers with the same words and the same valid degrees.
    /// </summary>
    [Fact]
    public async Task TP0014_and_the_runtime_refuse_the_same_degrees_with_the_same_message()
    {
        const int degree = 3;
        var compilation = GeneratorHarness.Compile($$"""
            using TpCodegen;
            namespace ContractDegrees;
            public partial class Mlp
            {
                public const int TensorParallelDegree = {{degree}};
                [TensorParallel(Split.Column)] public Linear Gate { get; } = new(4096, 11008);
                [TensorParallel(Split.Row)] public Linear Down { get; } = new(11008, 4096);
                [TensorParallel(Split.Column)] public Linear Fits { get; } = new(11008, 4095);
            }
            """);
        var compileTime = (await compilation.WithAnalyzers([new ShapeNotDivisibleAnalyzer()]).GetAnalyzerDiagnosticsAsync())
            .Where(d => d.Id == "TP0014")
            .Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

        var (_, output) = GeneratorHarness.Run(compilation);
        using var image = new MemoryStream();
        Assert.True(output.Emit(image).Success);
        var module = (ITensorParallelModule)Activator.CreateInstance(Assembly.Load(image.ToArray()).GetType("ContractDegrees.Mlp")!)!;
        var runTime = new List<string>();
        foreach (var layer in new[] { "Gate", "Down", "Fits" })
        {
            // Plan each layer alone: GetPlan stops at the first layer the degree does not fit.
            var single = Assert.Single(module.GetPlan(1, 1).Layers, l => l.LayerName == layer);
            var attribute = new TensorParallelAttribute(single.Split);
            var refused = Record.Exception(() => LayerPlan.Create(layer, attribute, single.InFeatures, single.OutFeatures, single.HasBias, degree, 1));
            if (refused is not null) runTime.Add(Assert.IsType<TensorParallelDegreeException>(refused).Message);
        }

        Assert.Equal(2, runTime.Count);
        // The generated GetPlan refuses the degree with the first layer's message.
        Assert.Equal(runTime[0], Assert.Throws<TensorParallelDegreeException>(() => module.GetPlan(degree, 1)).Message);
        Assert.Equal(runTime.Count, compileTime.Count);
        foreach (var message in runTime)
            Assert.Contains(compileTime, m => m.StartsWith(message, StringComparison.Ordinal));
    }

    /// <summary>Every [TensorParallel] member of every generator input: sharded by the generator, or flagged TP0017, never both, never neither.</summary>
    [Fact]
    public async Task TP0017_fires_exactly_where_the_generator_refuses()
    {
        var inputs = GeneratorInputs.Cases.Concat(GeneratorInputs.Unsupported).Select(c => (c.Key, c.Value))
            .Append(("Probes", Probes.Source()));
        foreach (var (name, source) in inputs)
        {
            var compilation = GeneratorHarness.Compile(source);
            var (generated, _) = GeneratorHarness.Run(compilation);
            var files = generated.ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);
            var flagged = (await compilation.WithAnalyzers([new UnsupportedTargetAnalyzer()]).GetAnalyzerDiagnosticsAsync())
                .Where(d => d.Id == "TP0017")
                .Select(d => d.Location.SourceSpan)
                .ToHashSet();
            var members = MarkedMembers(compilation).ToList();
            Assert.NotEmpty(members);
            foreach (var member in members)
            {
                // Sharded: its module's ShardFrom cuts a shard for it (a Linear may also get a shard class of its own).
                bool isSharded = files.TryGetValue(ModuleHintName(member), out var module) && module.Contains($"var shard{member.Name} = ", StringComparison.Ordinal);
                bool isFlagged = member.Locations.Any(l => flagged.Contains(l.SourceSpan));
                Assert.True(isSharded != isFlagged,
                    $"{name}: '{member.ContainingType.Name}.{member.Name}' is {(isSharded ? "sharded" : "not sharded")} and {(isFlagged ? "flagged" : "not flagged")} TP0017");
            }
        }
    }

    private static IEnumerable<ISymbol> MarkedMembers(Compilation compilation)
    {
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                if (node is not (Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax)) continue;
                if (model.GetDeclaredSymbol(node) is { } symbol && symbol.GetAttributes().Any(a => a.AttributeClass?.Name == "TensorParallelAttribute"))
                    yield return symbol;
            }
        }
    }

    // The generator's hint name, from the member's namespace and nested types (written out here, not borrowed from it).
    private static string ModuleHintName(ISymbol member)
    {
        var types = new List<string>();
        for (var type = member.ContainingType; type is not null; type = type.ContainingType) types.Insert(0, type.MetadataName);
        var segments = new List<string>();
        for (var ns = member.ContainingType.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace) segments.Insert(0, ns.Name);
        segments.Add(string.Join("+", types));
        return $"{string.Join(".", segments)}.TensorParallel.g.cs";
    }

    /// <summary>What the generated shard class of one layer declares and does, read from its text.</summary>
    private sealed record Emitted(string Input, string Output, bool SlicesInput, string[] ForwardCollectives, string[] BackwardCollectives)
    {
        private static readonly Regex s_declared = new(@"public override global::TpCodegen\.PlacementKind (\w+)Placement => global::TpCodegen\.PlacementKind\.(\w+);");
        private static readonly Regex s_held = new(@"ShardSteps\.Move\((\w+), global::TpCodegen\.PlacementKind\.(\w+)\)");
        private static readonly Regex s_owned = new(@"ShardSteps\.Move\(\w+, tokens, \w+, global::TpCodegen\.PlacementKind\.(\w+), (?:global::TpCodegen\.PlacementKind\.)?(\w+), Group\)");

        public static Emitted Parse(string text)
        {
            var declared = s_declared.Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            string input = declared["Input"], output = declared["Output"];
            int backward = text.IndexOf("BackwardCore(", StringComparison.Ordinal);
            Assert.True(backward > 0, "no BackwardCore in the generated shard");
            var forward = Moves(text[..backward], input, output);
            var backwardMoves = Moves(text[backward..], input, output);
            return new Emitted(input, output,
                SlicesInput: forward.Any(m => m.From == input && m.To != input),
                forward.Select(m => Collective(m.From, m.To)).OfType<string>().Order(StringComparer.Ordinal).ToArray(),
                backwardMoves.Select(m => Collective(m.From, m.To)).OfType<string>().Order(StringComparer.Ordinal).ToArray());
        }

        // A held value moves from what the layer was given: its input, or the output gradient (a partial sum's is the
        // full gradient, Replicate); a fresh buffer names its own placement.
        private static List<(string From, string To)> Moves(string text, string input, string output)
        {
            var moves = new List<(string From, string To)>();
            foreach (Match m in s_held.Matches(text))
            {
                string from = m.Groups[1].Value == "gradOutput" ? (output == "PartialSum" ? "Replicate" : output) : input;
                moves.Add((from, m.Groups[2].Value));
            }
            foreach (Match m in s_owned.Matches(text))
                moves.Add((m.Groups[1].Value, m.Groups[2].Value == "OutputPlacement" ? output : m.Groups[2].Value));
            return moves;
        }

        // DTensor's documented moves (its Redistribute doc): the test's own statement, not the runtime's table.
        private static string? Collective(string from, string to) => (from, to) switch
        {
            ("ShardLast", "Replicate") => nameof(CollectiveKind.AllGather),
            ("PartialSum", "Replicate") => nameof(CollectiveKind.AllReduce),
            ("PartialSum", "ShardLast") => nameof(CollectiveKind.ReduceScatter),
            _ => null,
        };
    }

    private sealed record Inferred(string Input, string Output, bool GathersOutput, bool SlicesInput);

    private sealed record Ran(
        string ShardInput, string Output, string InputGradient, string PlanInput, string PlanOutput,
        string[] ForwardCollectives, string[] BackwardCollectives, string[] PlanCollectives, long ForwardBytes, long PlanBytes);

    /// <summary>One compilation holding a module per combination, generated, compiled and loaded once.</summary>
    private sealed class Probes
    {
        public const int Count = 2 * 16;

        private readonly Compilation _input;
        private readonly Dictionary<string, string> _generated;
        private readonly Assembly _assembly;

        private Probes(Compilation input, Dictionary<string, string> generated, Assembly assembly)
        {
            _input = input;
            _generated = generated;
            _assembly = assembly;
        }

        private static (Split Split, bool[] Options) Combination(int index) =>
            (index < 16 ? Split.Column : Split.Row, s_options.Select((_, bit) => ((index % 16) >> bit & 1) == 1).ToArray());

        public string Describe(int index)
        {
            var (split, options) = Combination(index);
            return $"{split} {{ {string.Join(", ", s_options.Select((o, i) => $"{o} = {options[i]}"))} }}";
        }

        public static string Source()
        {
            var text = new System.Text.StringBuilder("using TpCodegen;\nnamespace ContractProbes;\n");
            for (int i = 0; i < Count; i++)
            {
                var (split, options) = Combination(i);
                string written = string.Concat(s_options.Select((o, k) => options[k] == s_defaults[k] ? "" : $", {o} = {(options[k] ? "true" : "false")}"));
                text.Append($"public partial class Probe{i} {{ [TensorParallel(Split.{split}{written})] public Linear Layer {{ get; }} = new({InFeatures}, {OutFeatures}); }}\n");
            }
            return text.ToString();
        }

        public static Probes Build()
        {
            var input = GeneratorHarness.Compile(Source());
            var (sources, output) = GeneratorHarness.Run(input);
            using var image = new MemoryStream();
            var emit = output.Emit(image);
            Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
            var assembly = Assembly.Load(image.ToArray());
            return new Probes(input, sources.ToDictionary(s => s.HintName, s => s.SourceText.ToString()), assembly);
        }

        public string GeneratedLayer(int index) => _generated[$"ContractProbes.Probe{index}.Layer.TensorParallel.g.cs"];

        public Inferred Inferred(int index)
        {
            var member = _input.GetTypeByMetadataName($"ContractProbes.Probe{index}")!.GetMembers("Layer").Single();
            var layer = AnalyzerLayerInfo.From(member, model: null);
            return new Inferred(layer.Input.ToString(), layer.Output.ToString(), layer.GathersOutput, layer.SlicesInput);
        }

        public Ran Run(int index)
        {
            var type = _assembly.GetType($"ContractProbes.Probe{index}")!;
            var dense = Activator.CreateInstance(type)!;
            var plan = ((ITensorParallelModule)dense).GetPlan(Tp, Tokens).Layers.Single();
            var results = InProcessWorld.Run(Tp, group =>
            {
                var module = Activator.CreateInstance(type)!;
                type.GetMethod("ShardFrom", [type, typeof(ProcessGroup)])!.Invoke(module, [dense, group]);
                var layer = (Linear)type.GetProperty("Layer")!.GetValue(module)!;
                var shard = layer.Shard!;
                var x = DTensor.FromArray(new float[Tokens * InFeatures], Tokens, InFeatures, Placement.Replicate, group)
                    .Redistribute(Placement.FromKind(shard.InputPlacement));
                group.Counters.Reset();
                var y = layer.Forward(x);
                var forward = Counted(group);
                long forwardBytes = Enum.GetValues<CollectiveKind>().Sum(k => group.Counters.Bytes(k));
                // The gradient of a Shard(-1) output is sharded the same way; of a Replicate or partial-sum output, the full dY.
                var dy = DTensor.FromArray(new float[Tokens * OutFeatures], Tokens, OutFeatures, Placement.Replicate, group);
                if (shard.OutputPlacement == PlacementKind.ShardLast) dy = dy.Redistribute(Placement.Shard(-1));
                group.Counters.Reset();
                var gradients = layer.Backward(x, dy);
                var backward = Counted(group);
                layer.Dispose();
                return (Input: shard.InputPlacement.ToString(), Output: Kind(y.Placement), Dx: Kind(gradients.Input.Placement), forward, backward, forwardBytes);
            });
            var rank0 = results[0];
            Assert.All(results, r => Assert.Equal(rank0.forward, r.forward));
            return new Ran(rank0.Input, rank0.Output, rank0.Dx, plan.Input.ToString(), plan.Output.ToString(),
                rank0.forward, rank0.backward, plan.Collectives.Select(c => c.Kind.ToString()).Order(StringComparer.Ordinal).ToArray(), rank0.forwardBytes,
                plan.Collectives.Sum(c => c.BytesPerRank));
        }

        private static string[] Counted(ProcessGroup group) =>
            Enum.GetValues<CollectiveKind>().SelectMany(k => Enumerable.Repeat(k.ToString(), (int)group.Counters.Calls(k))).Order(StringComparer.Ordinal).ToArray();

        private static string Kind(Placement placement) => Enum.GetValues<PlacementKind>().Single(k => Placement.FromKind(k) == placement).ToString();
    }
}
