using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Tests;

/// <summary>
/// Rules read a tree's operations by kind from one index (Toolkit/OperationIndex): every operation of the kind, with
/// its block's owner, in source order, lambdas and local functions included, whether the kind was asked for before
/// the tree was indexed (listed) or after (found by walking again).
/// </summary>
public sealed class OperationIndexTests
{
    private const string Source = """
        class Sums
        {
            int First(int a) => a + 1;

            int Second(int b)
            {
                System.Func<int, int> twice = x => x * 2;
                int Local(int y) => y - 3;
                return twice(b) + Local(b);
            }
        }
        """;

    [Fact]
    public void A_kind_asked_for_before_indexing_is_listed_in_source_order_with_its_owner()
    {
        OperationIndex.Want(OperationKind.Binary);
        var (index, first, second) = Index();

        var binaries = index.OfKind(OperationKind.Binary);

        Assert.Equal(["a + 1", "x * 2", "y - 3", "twice(b) + Local(b)"], binaries.Select(b => b.Operation.Syntax.ToString()).ToArray());
        Assert.Equal([first, second, second, second], binaries.Select(b => b.Owner).ToArray());
    }

    [Fact]
    public void A_kind_no_rule_asked_for_is_found_by_walking_the_blocks_again()
    {
        // No rule asks for literals, so the index was made without them.
        var (index, first, second) = Index();

        var literals = index.OfKind(OperationKind.Literal);

        Assert.Equal(["1", "2", "3"], literals.Select(l => l.Operation.Syntax.ToString()).ToArray());
        Assert.Equal([first, second, second], literals.Select(l => l.Owner).ToArray());
    }

    [Fact]
    public void A_kind_absent_from_the_tree_is_empty()
    {
        OperationIndex.Want(OperationKind.ObjectCreation);
        var (index, _, _) = Index();

        Assert.Empty(index.OfKind(OperationKind.ObjectCreation));
    }

    private static (OperationIndex Index, ISymbol First, ISymbol Second) Index()
    {
        var tree = CSharpSyntaxTree.ParseText(Source);
        var compilation = CSharpCompilation.Create("Index", [tree], [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)]);
        var model = compilation.GetSemanticModel(tree);
        var blocks = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>()
            .Select(method => (model.GetOperation(method)!, (ISymbol)model.GetDeclaredSymbol(method)!))
            .ToImmutableArray();
        return (new OperationIndex(blocks), blocks[0].Item2, blocks[1].Item2);
    }
}
