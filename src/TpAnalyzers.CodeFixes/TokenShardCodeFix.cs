using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TpCodegen.Analyzers.Rules;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// TP0024: adds the sequence-parallel move that is missing. A token shard fed to a layer is all-gathered,
/// <c>Mlp.Forward(Norm.Forward(x))</c> becoming <c>Mlp.Forward(Norm.Forward(x).Redistribute(Placement.Replicate))</c>; the
/// other operand of a residual add is reduce-scattered over the tokens, <c>x + Mlp.Forward(h)</c> becoming
/// <c>x + Mlp.Forward(h).Redistribute(Placement.Shard(-2))</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TokenShardCodeFix)), Shared]
public sealed class TokenShardCodeFix : RootEditCodeFix
{
    public TokenShardCodeFix()
        : base(RuleIds.TokenShardWithoutGather)
    {
    }

    private protected override (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(TokenShardWithoutGatherAnalyzer.TargetKey, out var target)) return null;
        var diagnosed = PlacementSyntax.FindExpression(root, diagnostic.Location.SourceSpan);
        if (diagnosed is null) return null;
        string key = nameof(TokenShardCodeFix) + "." + target;
        var placement = target == "Replicate" ? PlacementSyntax.ReplicatePlacement() : PlacementSyntax.ShardTokensPlacement();
        if (diagnostic.Properties.ContainsKey(TokenShardWithoutGatherAnalyzer.RelabelKey))
        {
            // DTensor.FromLocal(x.Local, ..., group) becomes x.Redistribute(...): the move the label skipped.
            if (diagnosed.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call
                || call.ArgumentList.Arguments.FirstOrDefault()?.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Local", Expression: { } owner })
                return null;
            return ("Move it instead: .Redistribute(" + (target == "Replicate" ? "Placement.Replicate" : "Placement.Shard(-2)") + ")", key + ".Relabel",
                root.ReplaceNode(call, PlacementSyntax.Redistribute(owner, placement).WithTriviaFrom(call)));
        }
        if (target == "Replicate")
            return ("Gather the tokens: .Redistribute(Placement.Replicate)", key, root.ReplaceNode(diagnosed, PlacementSyntax.Redistribute(diagnosed, PlacementSyntax.ReplicatePlacement())));
        diagnostic.Properties.TryGetValue(TokenShardWithoutGatherAnalyzer.RedistributeOperandKey, out var operand);
        if (diagnosed is not BinaryExpressionSyntax binary) return null;
        var value = operand == "Left" ? binary.Left : binary.Right;
        return ("Split it by tokens: .Redistribute(Placement.Shard(-2))", key, root.ReplaceNode(value, PlacementSyntax.Redistribute(value, PlacementSyntax.ShardTokensPlacement())));
    }
}
