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
    private LayerInfo(string name, LayerContract? contract, long? outFeatures, SyntaxReference? attribute)
    {
        Name = name;
        Contract = contract;
        OutFeatures = outFeatures;
        Attribute = attribute;
    }

    public string Name { get; }

    /// <summary>The layer's contract; null for a dense (unmarked, or broken-attribute) layer.</summary>
    public LayerContract? Contract { get; }

    /// <summary>The layer's output features when its initializer gives them as a constant.</summary>
    public long? OutFeatures { get; }

    /// <summary>The [TensorParallel] attribute in source, for code fixes that edit it.</summary>
    public SyntaxReference? Attribute { get; }

    public Layout Input => Contract?.Input ?? Layout.Replicate;

    public Layout Output => Contract?.Output ?? Layout.Replicate;

    /// <summary>Whether the forward all-gathers what its GEMM made (a column layer with GatherOutput = true).</summary>
    public bool GathersOutput => Contract?.ForwardOutput == Move.AllGather;

    /// <summary>Whether the forward keeps only its slice of a replicated input (a row layer with InputIsParallel = false).</summary>
    public bool SlicesInput => Contract?.ForwardInput == Move.LocalSlice;

    /// <summary>"column layer 'Gate'", "row layer 'Down'", "dense layer 'Proj'".</summary>
    public string Display => (Contract is null ? "dense" : Contract.Split.Name.ToLowerInvariant()) + " layer '" + Name + "'";

    public string OutputOrigin =>
        GathersOutput ? "the gathered output of " + Display
        : Contract is { Options.ReduceResults: false } ? "the output of " + Display + " with ReduceResults = false"
        : "the output of " + Display;

    public static LayerInfo From(ISymbol member, SemanticModel? model)
    {
        var attribute = TensorParallelAttributeReader.Find(member);
        return new LayerInfo(member.Name, attribute?.Contract, ReadOutFeatures(member, model), attribute?.Attribute.ApplicationSyntaxReference);
    }

    /// <summary>
    /// The second argument of the member's initializer (<c>new Linear(in, out)</c> or <c>new(in, out)</c>) when it is
    /// a constant. Constants other than literals are read only when the declaration is in the tree being analysed
    /// (an analyzer may not ask the compilation for other semantic models).
    /// </summary>
    private static long? ReadOutFeatures(ISymbol member, SemanticModel? model)
    {
        var reference = member.DeclaringSyntaxReferences.FirstOrDefault();
        if (reference is null) return null;
        var node = reference.GetSyntax();
        var initializer = node switch
        {
            PropertyDeclarationSyntax property => property.Initializer?.Value,
            VariableDeclaratorSyntax variable => variable.Initializer?.Value,
            _ => null,
        };
        var arguments = initializer switch
        {
            BaseObjectCreationExpressionSyntax creation => creation.ArgumentList?.Arguments,
            _ => null,
        };
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
        object? value = null;
        if (model is not null && model.SyntaxTree == outArgument.SyntaxTree)
        {
            var constant = model.GetConstantValue(outArgument);
            if (constant.HasValue) value = constant.Value;
        }
        else if (outArgument is LiteralExpressionSyntax literal)
        {
            value = literal.Token.Value;
        }
        return value is int features && features > 0 ? features : null;
    }
}
