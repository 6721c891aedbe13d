using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>Whether a condition depends on the rank: it reads a group's Rank, or a local, parameter or field named like one.</summary>
internal static class RankConditions
{
    public static bool Mentions(IOperation? condition, KnownTypes types) => Mentions(condition, types, 0);

    private static bool Mentions(IOperation? condition, KnownTypes types, int depth)
    {
        if (condition is null) return false;
        foreach (var operation in Operations.SelfAndDescendants(condition))
        {
            switch (operation)
            {
                case IPropertyReferenceOperation property when types.IsGroupProperty(property.Property, "Rank"):
                    return true;
                case ILocalReferenceOperation local:
                    if (Names.IsRank(local.Local.Name)) return true;
                    // bool isRoot = group.Rank == 0; if (isRoot) ...
                    if (depth < Operations.MaxLocalDepth && Mentions(Operations.InitializerOf(local), types, depth + 1)) return true;
                    break;
                case IParameterReferenceOperation parameter when Names.IsRank(parameter.Parameter.Name):
                    return true;
                case IFieldReferenceOperation field when Names.IsRank(field.Field.Name):
                    return true;
            }
        }
        return false;
    }
}
