using Microsoft.CodeAnalysis;

namespace TpCodegen.Generator;

/// <summary>
/// Emits, for every <c>[TensorParallel]</c> Linear member of a partial class, a sealed shard class specialised to its
/// split and options, and for the class a ShardFrom/GetPlan implementation of <c>ITensorParallelModule</c>.
/// </summary>
/// <remarks>
/// The pipeline: find the attribute -> parse each member to a value-equatable <c>LayerSpec</c> (one output file per
/// layer, so editing one layer regenerates only it and its module) -> group the layers by module (one file per
/// module). Nothing in the pipeline holds a symbol, a syntax node or the compilation. Diagnostics come from TpAnalyzers.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class TensorParallelGenerator : IIncrementalGenerator
{
    /// <summary>The attribute that marks a layer.</summary>
    public const string AttributeMetadataName = Roslyn.TensorParallelAttributeReader.MetadataName;

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var layers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeMetadataName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax
                    or Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax,
                transform: Parser.ParseLayer)
            .Where(static layer => layer is not null)
            .Select(static (layer, _) => layer!)
            .WithTrackingName(TrackingNames.Layers);

        // Embedding tables and vocabulary heads run shards the runtime provides: no class to emit for them.
        context.RegisterSourceOutput(layers.Where(static layer => layer.EmitsShardClass), static (output, layer) =>
            output.AddSource(Emitter.LayerHintName(layer), Emitter.EmitLayer(layer)));

        var modules = layers
            .Collect()
            .WithTrackingName(TrackingNames.AllLayers)
            .SelectMany(Parser.GroupByModule)
            .WithTrackingName(TrackingNames.Modules);

        context.RegisterSourceOutput(modules, static (output, module) =>
            output.AddSource(Emitter.ModuleHintName(module), Emitter.EmitModule(module)));
    }
}
