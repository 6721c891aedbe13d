using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Tests.Verifiers;

namespace TpCodegen.Analyzers.Tests;

/// <summary>
/// Correct model code written the way people write it (helpers, ternaries, loops over blocks, a mesh passed around and
/// kept in fields, sizes handed to constructors, catch blocks, rank-guarded logging): every analyzer together must
/// report nothing on it. Each file is the right version of a mistake the rule tests flag.
/// </summary>
public class CorrectModelCorpusTests
{
    private const string Usings = """
        using System;
        using System.Linq;
        using System.Numerics.Tensors;
        using TpCodegen;
        using TpCodegen.Collectives;

        """;

    public static TheoryData<string, string> Corpus() => new()
    {
        { "helpers and paths", """
            public sealed partial class Block
            {
                [TensorParallel(Split.Column)] public Linear Gate { get; } = new(64, 256);
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
                [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);
                [TensorParallel(Split.Column)] public Linear Next { get; } = new(64, 256);
                [TensorParallel(Split.Row)] public Linear Out { get; } = new(256, 64);

                private DTensor Mlp(DTensor x) => Ops.AllReduce(Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x)));
                private static DTensor Residual(DTensor y, DTensor x) => y + x;
                private DTensor Project(DTensor h) => Out.Forward(Ops.Gelu(Next.Forward(h)));

                public DTensor Forward(DTensor x)
                {
                    var partial = Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
                    var h = x.Group.Size > 1 ? Ops.AllReduce(partial) : partial;
                    h = Residual(h, x);
                    for (int layer = 0; layer < 4; layer++) h = Residual(Mlp(h), h);
                    DTensor y;
                    switch (x.Tokens)
                    {
                        case 0: y = h; break;
                        default: y = Project(h); break;
                    }
                    return y;
                }
            }
            """ },
        { "blocks in a loop", """
            public sealed partial class Layer
            {
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
                [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);

                public DTensor Forward(DTensor x)
                {
                    var sum = Down.Forward(Ops.Gelu(Up.Forward(x)));
                    return Ops.AllReduce(sum) + x;
                }
            }

            public sealed class Stack
            {
                private readonly Layer[] _layers = [new Layer(), new Layer()];

                public DTensor Forward(DTensor x)
                {
                    var h = x;
                    foreach (var layer in _layers) h = layer.Forward(h);
                    int i = 0;
                    while (true)
                    {
                        h = _layers[0].Forward(h);
                        if (++i == 2) break;
                    }
                    return h;
                }
            }
            """ },
        { "mesh, roles and ranks", """
            public sealed partial class Mlp
            {
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
                [TensorParallel(Split.Row)] public Linear Down { get; } = new(256, 64);
                public DTensor Forward(DTensor x) => Down.Forward(Ops.Relu(Up.Forward(x)));
                public static Mlp ShardFrom(Mlp dense, ProcessGroup group) => dense;
            }

            public sealed class Trainer
            {
                // The machines run four ranks each: TP0025 checks the mesh's tp against it.
                private const int RanksPerHost = 4;
                private readonly ProcessGroup _group;
                private readonly ProcessGroup _replicas;
                private readonly Mlp _mlp;

                public Trainer(DeviceMesh mesh)
                {
                    _group = mesh.TensorParallel;
                    _replicas = mesh.DataParallel;
                    _mlp = Mlp.ShardFrom(new Mlp(), _group);
                }

                private bool IsMain => _group.Rank == 0 && _replicas.Rank == 0;

                public void Step(DTensor x, float[] gradients, string[] examples)
                {
                    var y = _mlp.Forward(x);
                    // The row layer has reduced y already: every rank holds the same values, and rank 0's are kept.
                    _group.Broadcast(y.LocalSpan, 0);
                    _replicas.AllReduce(gradients, ReduceOp.Average);
                    var mine = examples.Where((_, i) => i % _replicas.Size == _replicas.Rank).ToArray();
                    try
                    {
                        _group.Barrier();
                    }
                    catch (InvalidOperationException exception)
                    {
                        Console.Error.WriteLine(exception.Message);
                        throw;
                    }
                    if (IsMain) Console.WriteLine($"{y.Tokens} tokens, {mine.Length} examples");
                }

                public static void Main() => Launcher.Run(4, world =>
                {
                    using var mesh = DeviceMesh.Create(world, 2, 2);
                    new Trainer(mesh).Step(null!, new float[4], ["a", "b"]);
                });
            }
            """ },
        { "heads, vocabulary and constructor sizes", """
            public sealed partial class Attention(int hidden, int heads, int kvHeads, int headDim)
            {
                [TensorParallel(Split.Column)]
                public Linear Qkv { get; } = new(hidden, (heads + 2 * kvHeads) * headDim) { OutputLayout = FeatureLayout.Qkv(heads, kvHeads, headDim) };
                [TensorParallel(Split.Row)]
                public Linear O { get; } = new(heads * headDim, hidden) { InputLayout = FeatureLayout.Heads(heads, headDim) };
            }

            public sealed partial class Query
            {
                private const int TpDegree = 4;
                private const int Heads = 8;
                private const int Dim = 16;

                [TensorParallel(Split.Column)] public Linear Q { get; } = new(128, Heads * Dim) { OutputLayout = FeatureLayout.Heads(Heads, Dim) };
                [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(128, 1000);

                public int[] Next(DTensor x)
                {
                    var q = Q.Forward(x);
                    var perHead = Tensor.Reshape(q.Local, [q.Tokens, q.LocalFeatures / Dim, Dim]);
                    return VocabParallel.Argmax(Head.Forward(x));
                }
            }

            public sealed partial class Mlp(int hidden, int intermediate)
            {
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate);
                [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden);
            }

            public static class Models
            {
                public static object[] Make() => [new Attention(4096, 32, 8, 128), new Mlp(4096, 11008)];
                public static DeviceMesh Mesh(ProcessGroup world) => DeviceMesh.Create(world, 1, 4);
            }
            """ },
        { "sequence parallelism and the vocabulary-parallel loss", """
            public sealed partial class SpMlp
            {
                [TensorParallel(Split.Column)] public Linear Gate { get; } = new(64, 256);
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
                [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);

                [PlacementContract(PlacementKind.Replicate, PlacementKind.PartialSum)]
                public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
            }

            public sealed partial class SpModel
            {
                [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(64, 1001);
                public RmsNorm FinalNorm { get; } = new(64);
                private readonly RmsNorm[] _norms = [new(64), new(64)];
                private readonly SpMlp[] _mlps = [new(), new()];

                private static DTensor Gather(DTensor tokens) => tokens.Redistribute(Placement.Replicate);

                private DTensor Block(int i, DTensor x, Placement tokens) =>
                    x + _mlps[i].Forward(Gather(_norms[i].Forward(x))).Redistribute(tokens);

                // Either layout of the residual stream, chosen at run time: the blocks are helpers.
                public DTensor Hidden(DTensor embedded, bool sequenceParallel)
                {
                    var tokens = Placement.Shard(-2);
                    var x = sequenceParallel ? embedded.Redistribute(tokens) : embedded;
                    for (int i = 0; i < _mlps.Length; i++)
                        x = sequenceParallel ? Block(i, x, tokens) : x + Ops.AllReduce(_mlps[i].Forward(_norms[i].Forward(x)));
                    return sequenceParallel ? Gather(FinalNorm.Forward(x)) : FinalNorm.Forward(x);
                }

                public DTensor Loss(DTensor embedded, int[] targets)
                {
                    var tokens = Placement.Shard(-2);
                    var x = embedded.Redistribute(tokens);
                    foreach (var (norm, mlp) in _norms.Zip(_mlps))
                        x = x + mlp.Forward(Gather(norm.Forward(x))).Redistribute(tokens);
                    var logits = Head.Forward(Gather(FinalNorm.Forward(x)));
                    return TpCodegen.Training.VocabParallelCrossEntropy.Loss(logits, targets, 1001);
                }
            }
            """ },
        { "local functions, predicates and head helpers", """
            using System.Collections.Generic;

            public sealed partial class Block
            {
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
                [TensorParallel(Split.Row, ReduceResults = false)] public Linear Down { get; } = new(256, 64);

                public DTensor Forward(DTensor x)
                {
                    DTensor Mlp(DTensor v) => Ops.AllReduce(Down.Forward(Up.Forward(v)));
                    DTensor Residual(DTensor v) => v + Mlp(v);
                    var h = x;
                    for (int i = 0; i < 3; i++) h = Residual(h);
                    return h;
                }
            }

            public sealed partial class Attention
            {
                public const int NumHeads = 8;
                public const int HeadDim = 16;
                [TensorParallel(Split.Column)] public Linear Q { get; } = new(128, NumHeads * HeadDim) { OutputLayout = FeatureLayout.Heads(NumHeads, HeadDim) };
                [TensorParallel(Split.Row)] public Linear O { get; } = new(NumHeads * HeadDim, 128) { InputLayout = FeatureLayout.Heads(NumHeads, HeadDim) };

                private static Tensor<float> SplitHeads(Tensor<float> t, int tokens, int heads) => Tensor.Reshape(t, [tokens, heads, HeadDim]);

                public DTensor Forward(DTensor x)
                {
                    var q = Q.Forward(x);
                    var perHead = SplitHeads(q.Local, q.Tokens, q.LocalFeatures / HeadDim);
                    var full = SplitHeads(Tensor.Create<float>([2, NumHeads * HeadDim]), 2, NumHeads);
                    return O.Forward(q);
                }
            }

            public static class Steps
            {
                static bool IsFirst(ProcessGroup g) => g.Rank == 0;
                static bool Multi(ProcessGroup g) => g.Size > 1;

                public static void Step(DeviceMesh mesh, float[] grads)
                {
                    var tp = mesh.TensorParallel;
                    if (Multi(tp)) tp.AllReduce(grads);
                    if (IsFirst(tp)) Console.WriteLine(grads[0]);
                    tp.Barrier();
                }

                public static IEnumerable<int[]> Mine(DeviceMesh mesh, int[][] batches)
                {
                    var dp = mesh.DataParallel;
                    int per = batches.Length / dp.Size;
                    if (mesh.World.Rank == 0) Console.WriteLine(batches[0].Length + " per rank: " + per);
                    return batches.Skip(dp.Rank * per).Take(per);
                }
            }
            """ },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Correct_model_code_gets_no_diagnostic(string name, string source)
    {
        var diagnostics = await Analyze(name, source);
        Assert.True(diagnostics.IsEmpty, name + ": " + string.Join("; ", diagnostics.Select(d => d.Id + " " + d.GetMessage())));
    }

    /// <summary>Guards the test above: one edit that makes each file wrong, and the rule that must then speak.</summary>
    [Theory]
    [InlineData("helpers and paths", "x.Group.Size > 1 ? Ops.AllReduce(partial) : partial", "x.Tokens > 1 ? Ops.AllReduce(partial) : partial", "TP0002")]
    [InlineData("blocks in a loop", "return Ops.AllReduce(sum) + x;", "return sum + x;", "TP0002")]
    [InlineData("mesh, roles and ranks", "if (IsMain) Console.WriteLine(", "if (IsMain) _group.Barrier(); Console.WriteLine(", "TP0015")]
    [InlineData("heads, vocabulary and constructor sizes", "new Mlp(4096, 11008)", "new Mlp(4096, 11010)", "TP0014")]
    [InlineData("mesh, roles and ranks", "DeviceMesh.Create(world, 2, 2)", "DeviceMesh.Create(world, 4, 3)", "TP0025")]
    [InlineData("mesh, roles and ranks", "_group.Broadcast(y.LocalSpan, 0);", "_group.AllReduce(y.LocalSpan);", "TP0026")]
    [InlineData("sequence parallelism and the vocabulary-parallel loss", "Loss(logits, targets", "Loss(logits.Redistribute(Placement.Replicate), targets", "TP0023")]
    [InlineData("sequence parallelism and the vocabulary-parallel loss", "mlp.Forward(Gather(norm.Forward(x)))", "mlp.Forward(norm.Forward(x))", "TP0024")]
    [InlineData("sequence parallelism and the vocabulary-parallel loss", "x))).Redistribute(tokens);", "x)));", "TP0024")]
    [InlineData("local functions, predicates and head helpers", "=> Ops.AllReduce(Down.Forward(Up.Forward(v)))", "=> Down.Forward(Up.Forward(v))", "TP0002")]
    [InlineData("local functions, predicates and head helpers", "if (IsFirst(tp)) Console.WriteLine(grads[0]);", "if (IsFirst(tp)) tp.Barrier();", "TP0015")]
    [InlineData("local functions, predicates and head helpers", "q.Tokens, q.LocalFeatures / HeadDim)", "q.Tokens, NumHeads)", "TP0020")]
    [InlineData("local functions, predicates and head helpers", "batches.Skip(dp.Rank * per)", "batches.Skip(mesh.World.Rank * per)", "TP0012")]
    public async Task The_same_code_made_wrong_is_flagged(string name, string right, string wrong, string id)
    {
        var source = (string)Corpus().Single(row => (string)row[0] == name)[1];
        Assert.Contains(right, source);
        var diagnostics = await Analyze(name, source.Replace(right, wrong));
        Assert.Contains(diagnostics, d => d.Id == id);
    }

    private static async Task<ImmutableArray<Diagnostic>> Analyze(string name, string source)
    {
        var compilation = CSharpCompilation.Create(
            "Correct",
            [CSharpSyntaxTree.ParseText(Usings + source, new CSharpParseOptions(LanguageVersion.Latest))],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, name + " does not compile: " + string.Join("; ", errors.Take(3)));
        return await compilation.WithAnalyzers(CatalogTests.AllAnalyzers().ToImmutableArray()).GetAnalyzerDiagnosticsAsync();
    }

    /// <summary>The platform and TpRuntime: what a compilation of model code needs.</summary>
    internal static ImmutableArray<MetadataReference> References()
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return platform.Concat(TestReferences.Runtime).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }
}
