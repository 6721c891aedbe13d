using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TpCodegen.Analyzers.Rules;

namespace TpCodegen.Analyzers.CodeFixes;

/// <summary>TP0018: removes the [TensorParallel] option that conflicts with the split, or either of two options that conflict with each other.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveConflictingOptionCodeFix)), Shared]
public sealed class RemoveConflictingOptionCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ConflictingTensorParallelOptions);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax { NameEquals: { } name, Parent: AttributeArgumentListSyntax list } argument)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Remove {name.Name.Identifier.ValueText}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(list, list.WithArguments(list.Arguments.Remove(argument))))),
                    // One key for every option, so that Fix All removes each conflicting option at once.
                    equivalenceKey: nameof(RemoveConflictingOptionCodeFix)),
                diagnostic);

            // Two options that conflict with each other (GatherOutput with SkipBiasAdd on a Column layer): either may go.
            if (!diagnostic.Properties.TryGetValue(ConflictingTensorParallelOptionsAnalyzer.AlsoRemovableProperty, out var otherName) || otherName is null)
                continue;
            var other = list.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == otherName);
            if (other is null) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Remove {otherName}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(list, list.WithArguments(list.Arguments.Remove(other))))),
                    equivalenceKey: nameof(RemoveConflictingOptionCodeFix) + ".Other"),
                diagnostic);
        }
    }
}
