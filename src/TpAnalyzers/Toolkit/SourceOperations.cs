using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The executable code of one syntax tree as operations, read once and shared by every rule: each member's body,
/// accessor, constructor (with its initializer), field or property initializer, and the top-level statements, with
/// the symbol the code belongs to. Attribute arguments, parameter defaults and enum values are left out: they are
/// constants, and no rule reads them. Keyed on the semantic model, which the analyzer driver builds once per tree and
/// hands to every analyzer, so the operations go when the tree's analysis is done. Initializers of literals alone
/// (<see cref="ConstantInitializers"/>) are left out when the compilation states no tensor-parallel degree.
/// </summary>
internal sealed class SourceOperations
{
    private static readonly ConditionalWeakTable<SemanticModel, SourceOperations> s_trees = new();

    private OperationIndex? _index;

    private SourceOperations(ImmutableArray<(IOperation Root, ISymbol Owner)> blocks) => Blocks = blocks;

    /// <summary>The roots: one per body, initializer or top-level program, in source order.</summary>
    public ImmutableArray<(IOperation Root, ISymbol Owner)> Blocks { get; }

    /// <summary>The blocks' operations of the kinds rules ask for, by kind; made by the first rule to ask.</summary>
    public OperationIndex Index
    {
        get
        {
            // Racing threads index the same tree; either index is kept.
            if (_index is null) Interlocked.CompareExchange(ref _index, new OperationIndex(Blocks), null);
            return _index;
        }
    }

    public static SourceOperations Of(SemanticModel model, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        // Asked by every rule of every tree: the lookup first, and the callback, a closure over the arguments, made in a
        // method of its own (a lambda's captured parameters are allocated on entry to the method that declares them).
        return s_trees.TryGetValue(model, out var known) ? known : ReadOnce(model, options, cancellationToken);
    }

    private static SourceOperations ReadOnce(SemanticModel model, AnalyzerOptions options, CancellationToken cancellationToken) =>
        s_trees.GetValue(model, m => new SourceOperations(Read(m, !StatedDegrees.AnyMayBeStated(m.Compilation, options), cancellationToken)));

    private static ImmutableArray<(IOperation, ISymbol)> Read(SemanticModel model, bool skipLiteralInitializers, CancellationToken cancellationToken)
    {
        var blocks = ImmutableArray.CreateBuilder<(IOperation, ISymbol)>();
        var root = model.SyntaxTree.GetRoot(cancellationToken);
        bool topLevel = false;
        // Members are reached through namespaces and types only: their bodies are operations, not syntax to search.
        foreach (var node in root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax or BasePropertyDeclarationSyntax or AccessorListSyntax or BaseFieldDeclarationSyntax or VariableDeclarationSyntax))
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (node)
            {
                case GlobalStatementSyntax statement when !topLevel:
                    topLevel = true;
                    // The program's statements are one body, the synthesized entry point's.
                    Add(blocks, model, root, model.GetEnclosingSymbol(statement.SpanStart, cancellationToken), cancellationToken);
                    break;
                case BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null }:
                    Add(blocks, model, node, model.GetDeclaredSymbol(node, cancellationToken), cancellationToken);
                    break;
                case AccessorDeclarationSyntax { Body: not null } or AccessorDeclarationSyntax { ExpressionBody: not null }:
                    Add(blocks, model, node, model.GetDeclaredSymbol(node, cancellationToken), cancellationToken);
                    break;
                case PropertyDeclarationSyntax property:
                    if (property.ExpressionBody is { } propertyArrow)
                        Add(blocks, model, propertyArrow, (model.GetDeclaredSymbol(property, cancellationToken) as IPropertySymbol)?.GetMethod, cancellationToken);
                    if (property.Initializer is { } initializer && !(skipLiteralInitializers && ConstantInitializers.IsLiteralsOnly(initializer.Value)))
                        Add(blocks, model, initializer, model.GetDeclaredSymbol(property, cancellationToken), cancellationToken);
                    break;
                case IndexerDeclarationSyntax { ExpressionBody: { } indexerArrow } indexer:
                    Add(blocks, model, indexerArrow, (model.GetDeclaredSymbol(indexer, cancellationToken) as IPropertySymbol)?.GetMethod, cancellationToken);
                    break;
                case VariableDeclaratorSyntax { Initializer: { } fieldInitializer } variable when !(skipLiteralInitializers && ConstantInitializers.IsLiteralsOnly(fieldInitializer.Value)):
                    Add(blocks, model, fieldInitializer, model.GetDeclaredSymbol(variable, cancellationToken), cancellationToken);
                    break;
            }
        }
        return blocks.ToImmutable();
    }

    private static void Add(ImmutableArray<(IOperation, ISymbol)>.Builder blocks, SemanticModel model, SyntaxNode node, ISymbol? owner, CancellationToken cancellationToken)
    {
        if (owner is not null && model.GetOperation(node, cancellationToken) is { } operation) blocks.Add((operation, owner));
    }
}
