using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TpCodegen.Contract;
using TpCodegen.Roslyn;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// A property or field of type Linear and what its [TensorParallel] makes of its Forward, read through the one
/// attribute reader and resolved against the split contract: the placements it takes and returns are the contract's,
/// as the generated shard's are. An unmarked Linear is dense: Replicate to Replicate.
/// </summary>
internal sealed class LayerInfo
{
    private LayerInfo(string name, LayerContract? contract, long? outFeatures, SyntaxReference? attribute, HeadCount? outputHeads)
    {
        Name = name;
        Contract = contract;
        OutFeatures = outFeatures;
        Attribute = attribute;
        OutputHeads = outputHeads;
        // Read at every call of the layer in every walk: made once.
        Display = (contract is null ? "dense" : contract.Split.Name.ToLowerInvariant()) + " layer '" + name + "'";
        OutputOrigin =
            GathersOutput ? "the gathered output of " + Display
            : contract is { Options.ReduceResults: false } ? "the output of " + Display + " with ReduceResults = false"
            : "the output of " + Display;
        // Shared by the walks of every thread: made here, whole, rather than on first use.
        OutputValue = new FlowValue(Output, OutputOrigin, GathersOutput ? Display + " (GatherOutput = true)" : null, outFeatures)
            .WithHeads(Output == Layout.ShardLast ? outputHeads : null)
            .WithVocabulary(contract?.Split.Kind == SplitKind.Vocab ? Display : null);
        AsConsumer = new Consumer(ConsumerKind.Layer, Display, Input, this);
    }

    public string Name { get; }

    /// <summary>The layer's contract; null for a dense (unmarked, or broken-attribute) layer.</summary>
    public LayerContract? Contract { get; }

    /// <summary>The layer's output features when its initializer gives them as a constant.</summary>
    public long? OutFeatures { get; }

    /// <summary>The global head count its OutputLayout names (<c>FeatureLayout.Heads(32, 128)</c>), when it has one.</summary>
    public HeadCount? OutputHeads { get; }

    /// <summary>The [TensorParallel] attribute in source, for code fixes that edit it.</summary>
    public SyntaxReference? Attribute { get; }

    public Layout Input => Contract?.Input ?? Layout.Replicate;

    public Layout Output => Contract?.Output ?? Layout.Replicate;

    /// <summary>Whether the forward all-gathers what its GEMM made (a column layer with GatherOutput = true).</summary>
    public bool GathersOutput => Contract?.ForwardOutput == Move.AllGather;

    /// <summary>Whether the forward keeps only its slice of a replicated input (a row layer with InputIsParallel = false).</summary>
    public bool SlicesInput => Contract?.ForwardInput == Move.LocalSlice;

    /// <summary>"column layer 'Gate'", "row layer 'Down'", "dense layer 'Proj'".</summary>
    public string Display { get; }

    /// <summary>What its Forward returns: the contract's output placement, told as its origin (made once per layer).</summary>
    public FlowValue OutputValue { get; }

    /// <summary>The layer as what its Forward's input is handed to (made once: every call of the layer records it).</summary>
    public Consumer AsConsumer { get; }

    public string OutputOrigin { get; }

    /// <summary>
    /// The layer <paramref name="member"/> is, read from its attribute and initializer. Not cached across walks: each walk
    /// keeps the layers it has met (a loop's passes and repeated calls ask again). A table per compilation, shared by
    /// the threads that analyse trees at once, took a lock at every first meeting, and in sampled profiles of the
    /// 500-module benchmark most of this method's time was spent in that lock; reading a layer again instead costs
    /// about 0.7 MB per analysis there.
    /// </summary>
    public static LayerInfo From(ISymbol member, SemanticModel? model)
    {
        var attribute = TensorParallelAttributeReader.Find(member);
        var creation = Creation(member);
        return new LayerInfo(member.Name, attribute?.Contract, ReadOutFeatures(creation, model), attribute?.Attribute.ApplicationSyntaxReference, ReadOutputHeads(creation, model));
    }

    /// <summary>The member's initializer, <c>new Linear(in, out) { ... }</c> or <c>new(in, out)</c>.</summary>
    private static BaseObjectCreationExpressionSyntax? Creation(ISymbol member)
    {
        var reference = member.DeclaringSyntaxReferences.FirstOrDefault();
        return reference?.GetSyntax() switch
        {
            PropertyDeclarationSyntax property => property.Initializer?.Value as BaseObjectCreationExpressionSyntax,
            VariableDeclaratorSyntax variable => variable.Initializer?.Value as BaseObjectCreationExpressionSyntax,
            _ => null,
        };
    }

    /// <summary>
    /// The heads of <c>{ OutputLayout = FeatureLayout.Heads(heads, dim) }</c> (or <c>KeyValueHeads</c>) in the initializer:
    /// as written, and its value when it is a constant.
    /// </summary>
    private static HeadCount? ReadOutputHeads(BaseObjectCreationExpressionSyntax? creation, SemanticModel? model)
    {
        if (creation?.Initializer is not { } initializer) return null;
        foreach (var expression in initializer.Expressions)
        {
            if (expression is not AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "OutputLayout" }, Right: InvocationExpressionSyntax layout }) continue;
            if (layout.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Heads" or "KeyValueHeads" }) return null;
            if (layout.ArgumentList.Arguments.FirstOrDefault()?.Expression is not { } heads) return null;
            return new HeadCount(Toolkit.Operations.Text(heads), ReadConstant(heads, model) is int value && value > 0 ? value : null);
        }
        return null;
    }

    /// <summary>
    /// A constant written in a member's initializer. Constants other than literals are read only when the declaration is
    /// in the tree being analysed (the model at hand is that tree's).
    /// </summary>
    private static object? ReadConstant(ExpressionSyntax expression, SemanticModel? model)
    {
        // A literal is its own value: asking the model would bind the whole initializer for it.
        if (expression is LiteralExpressionSyntax written) return written.Token.Value;
        if (model is not null && model.SyntaxTree == expression.SyntaxTree)
        {
            var constant = model.GetConstantValue(expression);
            return constant.HasValue ? constant.Value : null;
        }
        return null;
    }

    /// <summary>The second argument of the member's initializer (<c>new Linear(in, out)</c>) when it is a constant.</summary>
    private static long? ReadOutFeatures(BaseObjectCreationExpressionSyntax? creation, SemanticModel? model)
    {
        var arguments = creation?.ArgumentList?.Arguments;
        if (arguments is not { } list) return null;
        ExpressionSyntax? outArgument = null;
        for (int i = 0; i < list.Count; i++)
        {
            var argument = list[i];
            if (argument.NameColon is { } name)
            {
                if (name.Name.Identifier.ValueText == "outFeatures") outArgument = argument.Expression;
            }
            else if (i == 1)
            {
                outArgument = argument.Expression;
            }
        }
        if (outArgument is null) return null;
        return ReadConstant(outArgument, model) is int features && features > 0 ? features : null;
    }
}
