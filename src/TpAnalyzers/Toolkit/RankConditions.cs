using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Whether a condition depends on the rank: it reads a group's Rank, a local initialised from one, a property of the
/// compilation whose getter does (<c>bool IsMainProcess => group.Rank == 0</c>), a flag field or property given such a
/// value (<c>_isMaster = world.Rank == 0;</c> in a constructor), a method of the compilation whose body
/// does (<c>static bool IsFirst(ProcessGroup g) => g.Rank == 0</c>), or a local, parameter or field named like a rank
/// (a <c>for</c> loop's counter excepted, whatever its name).
/// </summary>
internal static class RankConditions
{
    public static bool Mentions(IOperation? condition, KnownTypes types) => Mentions(condition, types, GroupRole.Unknown, 0);

    /// <summary>
    /// Whether the condition can hold on some ranks of <paramref name="group"/> and not on others. A mesh's
    /// data-parallel rank is the same on every rank of one tensor-parallel group, and its tensor-parallel rank the same
    /// on every rank of one data-parallel group: <c>if (dp.Rank == 0) tp.AllGather(...)</c> is entered by whole
    /// tensor-parallel groups. Any other rank (the world's, one of unknown origin, a name) may split the group.
    /// </summary>
    public static bool SplitsGroup(IOperation? condition, KnownTypes types, GroupRole group) => Mentions(condition, types, group, 0);

    private static bool SameAcross(GroupRole rankOf, GroupRole group) =>
        (rankOf, group) is (GroupRole.DataParallel, GroupRole.TensorParallel) or (GroupRole.TensorParallel, GroupRole.DataParallel);

    private static bool Mentions(IOperation? condition, KnownTypes types, GroupRole within, int depth)
    {
        if (condition is null) return false;
        foreach (var operation in Operations.SelfAndDescendants(condition))
        {
            switch (operation)
            {
                case IPropertyReferenceOperation property when types.IsGroupProperty(property.Property, "Rank"):
                    if (within != GroupRole.Unknown && SameAcross(types.ClassifyGroup(property.Instance), within)) break;
                    return true;
                case IPropertyReferenceOperation property when depth < Operations.MaxLocalDepth && property.Property.Type.SpecialType == SpecialType.System_Boolean:
                    // A flag computed from the rank reads like any other property at the call site.
                    if (operation.SemanticModel?.Compilation is { } compilation && SourceBodies.InCompilation(property.Property, compilation))
                    {
                        // A computed property reads like its getter; one that is given its value (IsMaster { get; }
                        // set in the constructor) like what it is given.
                        if (SourceBodies.Getter(property.Property, compilation) is { } getter
                                ? Mentions(getter, types, within, depth + 1)
                                : GivenFromRank(property.Property, compilation, types, within, depth))
                            return true;
                    }
                    break;
                case IInvocationOperation call when depth < Operations.MaxLocalDepth && call.Type?.SpecialType == SpecialType.System_Boolean:
                    // if (IsFirst(tp)) ...: a predicate of the compilation that reads a rank is a rank test.
                    if (operation.SemanticModel?.Compilation is { } source &&
                        SourceBodies.Method(call.TargetMethod, source) is { } predicate &&
                        Mentions(predicate, types, within, depth + 1))
                        return true;
                    break;
                case ILocalReferenceOperation local:
                    // var stop = new[] { tp.Rank == 0 && done ? 1f : 0f }; tp.Broadcast(stop, 0); if (stop[0] > 0) ...:
                    // a buffer a collective fills holds the same values on every rank.
                    if (IsSynchronized(local, types)) break;
                    // foreach (var (h, rank) in hyps.Select((h, i) => (h, i))): judged by what it iterates, not its name.
                    if (ForEachCollection(local) is { } collection)
                    {
                        if (depth < Operations.MaxLocalDepth && Mentions(collection, types, within, depth + 1)) return true;
                        break;
                    }
                    if (Names.IsProcessRank(local.Local.Name) && !IsLoopCounter(local.Local)) return true;
                    // bool isRoot = group.Rank == 0; if (isRoot) ...
                    if (depth < Operations.MaxLocalDepth && Mentions(Operations.InitializerOf(local), types, within, depth + 1)) return true;
                    break;
                case IParameterReferenceOperation parameter when Names.IsProcessRank(parameter.Parameter.Name):
                    // A LoRA adapter's rank, a beam's: what the callers in the compilation pass says which rank it is.
                    // A module's constructor takes sizes and settings: without a caller passing a rank, its 'rank' is one.
                    if (depth < Operations.MaxLocalDepth && operation.SemanticModel?.Compilation is { } callers &&
                        PassedNoRank(parameter.Parameter, callers, types, within, depth, noCallers: parameter.Parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor }))
                        break;
                    return true;
                case IFieldReferenceOperation field when Names.IsProcessRank(field.Field.Name):
                    return true;
                case IFieldReferenceOperation field when depth < Operations.MaxLocalDepth && field.Field.Type.SpecialType == SpecialType.System_Boolean:
                    // _isMaster = mesh.World.Rank == 0; in the constructor, then if (_isMaster) ...
                    if (operation.SemanticModel?.Compilation is { } owner && SourceBodies.InCompilation(field.Field, owner) &&
                        GivenFromRank(field.Field, owner, types, within, depth))
                        return true;
                    break;
            }
        }
        return false;
    }

    /// <summary>
    /// Whether the callers in the compilation pass this parameter values that read no rank (<c>new LoraColumn(1024,
    /// 4096, rank: 8)</c>); without callers to read, <paramref name="noCallers"/>.
    /// </summary>
    private static bool PassedNoRank(IParameterSymbol parameter, Compilation compilation, KnownTypes types, GroupRole within, int depth, bool noCallers)
    {
        bool any = false;
        foreach (var argument in GroupRoles.ArgumentsFor(parameter, compilation))
        {
            if (Mentions(argument, types, within, depth + 1)) return false;
            any = true;
        }
        return any || noCallers;
    }

    /// <summary>The collection a <c>foreach</c> iteration variable (or a part of its deconstruction) comes from.</summary>
    private static IOperation? ForEachCollection(ILocalReferenceOperation reference)
    {
        if (reference.Local.DeclaringSyntaxReferences.Length != 1) return null;
        var declared = reference.Local.DeclaringSyntaxReferences[0].GetSyntax();
        var loop = declared.FirstAncestorOrSelf<CommonForEachStatementSyntax>();
        bool isIterationVariable = loop switch
        {
            ForEachStatementSyntax single => single == declared,
            ForEachVariableStatementSyntax deconstructed => deconstructed.Variable.Span.Contains(declared.Span),
            _ => false,
        };
        return isIterationVariable && loop!.SyntaxTree == reference.Syntax.SyntaxTree ? reference.SemanticModel?.GetOperation(loop.Expression) : null;
    }

    /// <summary>Whether any value a field or property of the compilation is given (initializer, constructors) reads a rank.</summary>
    private static bool GivenFromRank(ISymbol member, Compilation compilation, KnownTypes types, GroupRole within, int depth)
    {
        foreach (var value in MemberValues.Of(member, compilation))
        {
            if (Mentions(value, types, within, depth + 1)) return true;
        }
        return false;
    }

    /// <summary>
    /// Whether the local is an array handed to a collective that leaves every rank with the same contents (a broadcast,
    /// an all-reduce, an all-gather) in the code around it: a vote or stop flag made uniform before it is tested.
    /// </summary>
    private static bool IsSynchronized(ILocalReferenceOperation reference, KnownTypes types)
    {
        if (reference.Local.Type is not IArrayTypeSymbol) return false;
        foreach (var node in Operations.SelfAndDescendants(Operations.Root(reference)))
        {
            if (node is not IInvocationOperation call || !types.IsGroupCollective(call.TargetMethod) ||
                call.TargetMethod.Name is not ("Broadcast" or "AllReduce" or "AllGather")) continue;
            foreach (var argument in call.Arguments)
            {
                // What the collective writes: an all-reduce's or a broadcast's buffer, an all-gather's receive.
                if (argument.Parameter?.Name is "buffer" or "receive" &&
                    Operations.Unwrap(argument.Value) is ILocalReferenceOperation buffer && SymbolEqualityComparer.Default.Equals(buffer.Local, reference.Local))
                    return true;
            }
        }
        return false;
    }

    // for (int rank = 0; rank < tp.Size; rank++): a counter every rank runs through alike, whatever it is called.
    private static bool IsLoopCounter(ILocalSymbol local) =>
        local.DeclaringSyntaxReferences.Length == 1 &&
        local.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: LiteralExpressionSyntax, Parent: VariableDeclarationSyntax { Parent: ForStatementSyntax } };
}
