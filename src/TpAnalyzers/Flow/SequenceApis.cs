using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// What the flow walk knows beyond the split contract's three layouts: the token shard of sequence parallelism, the
/// norms that keep it, and the vocabulary-parallel loss. The contract names only what a layer takes and returns, and no
/// layer takes or returns a token shard (the runtime's RuntimeContract.LayoutOf has no layout for Shard(-2)), so the
/// walk gives it a value of its own, past the contract's.
/// </summary>
internal static class SequenceApis
{
    /// <summary>
    /// Shard(-2): each rank holds a run of the tokens (rows), every feature of them, as sequence parallelism's residual
    /// stream does. Known to every rule (it is not Unknown), matched by none of the contract's layouts.
    /// </summary>
    public const Layout TokenShard = (Layout)4;

    /// <summary>Whether a constant dimension names the token dimension of a [tokens, features] activation: -2, or 0 (DTensor normalises it to -2).</summary>
    public static bool IsTokenDim(IOperation? dim) => dim?.ConstantValue is { HasValue: true, Value: -2 or 0 };

    /// <summary>RmsNorm.Forward or LayerNorm.Forward: per token, so a token shard stays one (and a replica a replica).</summary>
    public static bool IsNormForward(IMethodSymbol method) =>
        method.Name == "Forward" && method.ContainingType is { Name: "RmsNorm" or "LayerNorm" } type && InTpCodegen(type, "TpCodegen");

    /// <summary>VocabParallelCrossEntropy.Loss, which takes the vocabulary shards of the logits (or dense logits).</summary>
    public static bool IsVocabularyLoss(IMethodSymbol method) =>
        method.Name == "Loss" && method.ContainingType is { Name: "VocabParallelCrossEntropy" } type && InTpCodegen(type, "TpCodegen.Training");

    /// <summary><c>GatheredTokens.Value</c>: the replica <c>x.GatherTokens()</c> made.</summary>
    public static bool IsGatheredTokensValue(IPropertySymbol property) =>
        property.Name == "Value" && property.ContainingType is { Name: "GatheredTokens" } type && InTpCodegen(type, "TpCodegen");

    private static bool InTpCodegen(INamedTypeSymbol type, string ns) => type.ContainingNamespace?.ToDisplayString() == ns;

    /// <summary>
    /// The expression a placement local is initialised with (<c>var tokens = Placement.Shard(-2);</c>), when the local is
    /// never assigned again in its method: the placement it names is then the one every use names.
    /// </summary>
    public static IOperation? SingleInitializer(ILocalReferenceOperation local)
    {
        if (local.SemanticModel is not { } model) return null;
        if (local.Local.DeclaringSyntaxReferences.Length != 1) return null;
        if (local.Local.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: { } value } declarator) return null;
        if (model.SyntaxTree != declarator.SyntaxTree) return null;
        var body = declarator.FirstAncestorOrSelf<BaseMethodDeclarationSyntax>() as SyntaxNode
            ?? declarator.FirstAncestorOrSelf<LocalFunctionStatementSyntax>() as SyntaxNode
            ?? declarator.FirstAncestorOrSelf<AccessorDeclarationSyntax>();
        if (body is null) return null;
        string name = local.Local.Name;
        foreach (var node in body.DescendantNodes())
        {
            bool written = node switch
            {
                // Also (tokens, other) = ...: any assignment whose target names it.
                AssignmentExpressionSyntax assignment => assignment.Left.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(id => id.Identifier.ValueText == name),
                ArgumentSyntax { RefKindKeyword.ValueText: "ref" or "out", Expression: IdentifierNameSyntax target } => target.Identifier.ValueText == name,
                _ => false,
            };
            if (written) return null;
        }
        return model.GetOperation(value);
    }
}
