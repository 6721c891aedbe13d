using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>
/// What a fix of one rule that edits one document shares: it offers one edit per diagnostic, or none where the code is
/// not the shape the edit handles, and can fix them all at once. The rule's fix says only what the edit is.
/// </summary>
public abstract class RootEditCodeFix : CodeFixProvider
{
    private protected RootEditCodeFix(params string[] ruleIds) => FixableDiagnosticIds = ImmutableArray.Create(ruleIds);

    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (Edit(root, diagnostic) is not var (title, key, fixedRoot)) continue;
            context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(context.Document.WithSyntaxRoot(fixedRoot)), equivalenceKey: key), diagnostic);
        }
    }

    /// <summary>The edit for one diagnostic: its title, its equivalence key and the root it makes; null where none is mechanical.</summary>
    private protected abstract (string Title, string Key, SyntaxNode Root)? Edit(SyntaxNode root, Diagnostic diagnostic);
}
