using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TpCodegen.Analyzers.Tests.Rules;
using TpCodegen.Analyzers.Tests.Verifiers;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Tests;

/// <summary>
/// Initializers of literals alone are not bound when the compilation states no degree (the only rules they can matter
/// to check constant sizes against one); every other initializer is, and all of them are once a degree is stated.
/// </summary>
public sealed class ConstantInitializersTests
{
    [Theory]
    [InlineData("4096")]
    [InlineData("-1")]
    [InlineData("\"weights.safetensors\"")]
    [InlineData("new(64, 256)")]
    [InlineData("new Linear(64, 256, bias: false)")]
    [InlineData("new Linear(64, 256, seed: -7)")]
    public void Literals_alone_are_recognised(string value) => Assert.True(ConstantInitializers.IsLiteralsOnly(Expression(value)));

    [Theory]
    [InlineData("new(Hidden, 256)")]
    [InlineData("new(64, 4 * 64)")]
    [InlineData("new(64, 256) { OutputLayout = FeatureLayout.Heads(4, 64) }")]
    [InlineData("Batch * 2")]
    [InlineData("mesh.TensorParallel")]
    [InlineData("new Sampler(tp.Rank, tp.Size)")]
    [InlineData("() => 4")]
    public void Anything_else_is_not(string value) => Assert.False(ConstantInitializers.IsLiteralsOnly(Expression(value)));

    [Fact]
    public void Literal_initializers_are_left_unread_when_no_degree_is_stated()
    {
        var owners = InitializerOwners(Modules.With("public int Tokens { get; } = 8 * 4;"));
        // Tokens' product is read; the eight layers' new(in, out) are not.
        Assert.Equal(["Tokens"], owners);
    }

    [Theory]
    [InlineData("private const int TpDegree = 2;", "")]
    [InlineData("", "is_global = true\nbuild_property.TpDegree = 2\n")]
    [InlineData("static TpCodegen.Collectives.DeviceMesh Build(TpCodegen.Collectives.ProcessGroup world) => TpCodegen.Collectives.DeviceMesh.Create(world, 1, 2);", "")]
    public void Every_initializer_is_read_once_a_degree_is_stated(string member, string globalConfig)
    {
        var owners = InitializerOwners(Modules.With("public int Tokens { get; } = 8 * 4;\n" + member), globalConfig);
        // The layers' new(in, out), the product, and the stated constant's own literal where there is one.
        string[] layers = ["Gate", "Up", "Down", "DownPartial", "Next", "Proj", "UpGathered", "DownFull", "Tokens"];
        Assert.Equal(member.Contains("const", StringComparison.Ordinal) ? [.. layers, "TpDegree"] : layers, owners);
    }

    private static ExpressionSyntax Expression(string value) => SyntaxFactory.ParseExpression(value);

    /// <summary>The members whose initializers SourceOperations reads, in source order.</summary>
    private static string[] InitializerOwners(string source, string globalConfig = "")
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = platform.Concat(TestReferences.Runtime).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        var tree = CSharpSyntaxTree.ParseText(source);
        var compilation = CSharpCompilation.Create("Initializers", [tree], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var options = new AnalyzerOptions([], new GlobalConfig(globalConfig));
        return SourceOperations.Of(compilation.GetSemanticModel(tree), options, CancellationToken.None).Blocks
            .Where(block => block.Owner is IPropertySymbol or IFieldSymbol)
            .Select(block => block.Owner.Name)
            .ToArray();
    }

    /// <summary>The MSBuild properties a .globalconfig would give (build_property.X = value lines).</summary>
    private sealed class GlobalConfig(string config) : AnalyzerConfigOptionsProvider
    {
        private readonly Options _global = new(config.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToImmutableDictionary(parts => parts[0].Trim(), parts => parts[1].Trim()));

        public override AnalyzerConfigOptions GlobalOptions => _global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

        private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new(ImmutableDictionary<string, string>.Empty);

            public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
        }
    }
}
