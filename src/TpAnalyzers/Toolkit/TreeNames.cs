using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The identifiers a syntax tree mentions, read once per tree: where the callers of a method or constructor can be.
/// Asked for every parameter whose role is followed to its callers; a search of every tree's text per parameter
/// would cost a copy of each file's text per question in an IDE. The set is kept with the tree, which outlives the
/// compilations an edit elsewhere makes.
/// </summary>
internal static class TreeNames
{
    private static readonly ConditionalWeakTable<SyntaxTree, HashSet<string>> s_names = new();

    public static bool Mentions(SyntaxTree tree, string name)
    {
        if (!s_names.TryGetValue(tree, out var names)) names = s_names.GetValue(tree, Read);
        return names.Contains(name);
    }

    private static HashSet<string> Read(SyntaxTree tree)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in tree.GetRoot().DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.IdentifierToken)) names.Add(token.ValueText);
        }
        return names;
    }
}
