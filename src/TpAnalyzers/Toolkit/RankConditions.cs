using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Whether a condition depends on the rank: it reads a group's Rank, a local initialised from one, a property of the
/// compilation whose getter does (<c>bool IsMainProcess => group.Rank == 0</c>), a method of the compilation whose body
/// does (<c>static bool IsFirst(ProcessGroup g) => g.Rank == 0</c>), or a local, parameter or field named like a rank.
/// </summary>
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
                case IPropertyReferenceOperation property when depth < Operations.MaxLocalDepth && property.Property.Type.SpecialType == SpecialType.System_Boolean:
                    // A flag computed from the rank reads like any other property at the call site.
                    if (operation.SemanticModel?.Compilation is { } compilation &&
                        SourceBodies.Getter(property.Property, compilation) is { } getter &&
                        Mentions(getter, types, depth + 1))
                        return true;
                    break;
                case IInvocationOperation call when depth < Operations.MaxLocalDepth && call.Type?.SpecialType == SpecialType.System_Boolean:
                    // if (IsFirst(tp)) ...: a predicate of the compilation that reads a rank is a rank test.
                    if (operation.SemanticModel?.Compilation is { } source &&
                        SourceBodies.Method(call.TargetMethod, source) is { } predicate &&
                        Mentions(predicate, types, depth + 1))
                        return true;
                    break;
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
