using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// Which group a ProcessGroup expression is, read from where groups are made and followed through the code: the
/// DeviceMesh's members, a DTensor's or a shard's Group, the world Launcher.Run hands its body, a Split by
/// <c>rank / tp</c> (the tensor-parallel group, as DeviceMesh.Create makes it) or <c>rank % tp</c> (data-parallel), and
/// from those through locals' initializers and the values fields and properties are given in their initializers and
/// constructors, and into a method's or constructor's parameters from its callers in the compilation. A name (tp, dp,
/// world) decides only where no origin is found.
/// </summary>
internal static class GroupRoles
{
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<ISymbol, GroupRole>> s_members = new();

    public static GroupRole Classify(KnownTypes types, IOperation? operation, int depth)
    {
        operation = Operations.Unwrap(operation);
        switch (operation)
        {
            case IPropertyReferenceOperation property:
                var type = property.Property.ContainingType;
                if (KnownTypes.Is(type, types.DeviceMesh))
                {
                    return property.Property.Name switch
                    {
                        "TensorParallel" => GroupRole.TensorParallel,
                        "DataParallel" => GroupRole.DataParallel,
                        "World" => GroupRole.World,
                        _ => GroupRole.Unknown,
                    };
                }
                // A DTensor's and a shard's group is the tensor-parallel group its values are split over.
                if (property.Property.Name == "Group" &&
                    (types.IsDTensor(type) || (types.ShardedLinear is not null && KnownTypes.IsOrDerives(type, types.ShardedLinear))))
                    return GroupRole.TensorParallel;
                return Or(Member(types, property.Property, operation, depth), property.Property.Name);
            case IFieldReferenceOperation field:
                return Or(Member(types, field.Field, operation, depth), field.Field.Name);
            case IParameterReferenceOperation parameter:
                var passed = IsLaunchedWorld(parameter, types) ? GroupRole.World : Passed(types, parameter, depth);
                return Or(passed, parameter.Parameter.Name);
            case ILocalReferenceOperation local:
                var fromInitializer = depth < Operations.MaxLocalDepth ? Classify(types, Operations.InitializerOf(local), depth + 1) : GroupRole.Unknown;
                return Or(fromInitializer, local.Local.Name);
            case IInvocationOperation invocation when types.IsGroupMethod(invocation.TargetMethod, "Split"):
                return FromSplit(invocation);
            default:
                return GroupRole.Unknown;
        }
    }

    private static GroupRole Or(GroupRole role, string name) => role != GroupRole.Unknown ? role : ByName(name);

    public static GroupRole ByName(string name) =>
        Names.IsTensorParallel(name) ? GroupRole.TensorParallel
        : Names.IsDataParallel(name) ? GroupRole.DataParallel
        : Names.IsWorld(name) ? GroupRole.World
        : GroupRole.Unknown;

    /// <summary><c>world.Split(rank / tp, rank)</c> groups consecutive ranks (tensor-parallel); <c>rank % tp</c> strided ones (data-parallel).</summary>
    private static GroupRole FromSplit(IInvocationOperation split)
    {
        var color = Calls.Argument(split, "color")?.Value;
        return Operations.Unwrap(color) switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Divide } => GroupRole.TensorParallel,
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Remainder } => GroupRole.DataParallel,
            _ => GroupRole.Unknown,
        };
    }

    /// <summary>The parameter of the lambda given to <c>Launcher.Run</c> (or <c>InProcessWorld.Run</c>): the world.</summary>
    private static bool IsLaunchedWorld(IParameterReferenceOperation reference, KnownTypes types)
    {
        if (reference.Parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } lambda) return false;
        for (var node = reference.Parent; node is not null; node = node.Parent)
        {
            if (node is not IAnonymousFunctionOperation function || !SymbolEqualityComparer.Default.Equals(function.Symbol, lambda)) continue;
            var argument = function.Parent is IDelegateCreationOperation creation ? creation.Parent : function.Parent;
            return argument is IArgumentOperation { Parent: IInvocationOperation run } &&
                   run.TargetMethod.Name == "Run" &&
                   (KnownTypes.Is(run.TargetMethod.ContainingType, types.Launcher) || KnownTypes.Is(run.TargetMethod.ContainingType, types.InProcessWorld));
        }
        return false;
    }

    /// <summary>
    /// A method's or constructor's parameter: the role of what its callers in the compilation pass, when they agree
    /// (<c>new Schedule(mesh.TensorParallel)</c> makes the constructor's <c>group</c>, and the field it is stored in,
    /// tensor-parallel); computed once per parameter and compilation.
    /// </summary>
    private static GroupRole Passed(KnownTypes types, IParameterReferenceOperation reference, int depth)
    {
        var parameter = reference.Parameter;
        return parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.Constructor }
            ? Cached(reference, parameter, depth, types)
            : GroupRole.Unknown;
    }

    /// <summary>
    /// The values a symbol is given: a parameter's from its callers (<see cref="ArgumentsFor"/>), a field's or
    /// property's from its initializer and its type's constructors (<see cref="MemberValues"/>).
    /// </summary>
    private static System.Collections.Generic.IEnumerable<IOperation> GivenValues(ISymbol symbol, Compilation compilation) =>
        symbol is IParameterSymbol parameter ? ArgumentsFor(parameter, compilation) : MemberValues.Of(symbol, compilation);

    /// <summary>
    /// The syntax a method's callers can be in: its type's for a private method, else every tree of the compilation
    /// that names <paramref name="name"/> (<see cref="TreeNames"/>, before any node is visited).
    /// </summary>
    private static System.Collections.Generic.IEnumerable<SyntaxNode> Callers(ISymbol method, string name, Compilation compilation)
    {
        if (method.DeclaredAccessibility == Accessibility.Private)
        {
            foreach (var reference in method.ContainingType.DeclaringSyntaxReferences) yield return reference.GetSyntax();
            yield break;
        }
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (TreeNames.Mentions(tree, name)) yield return tree.GetRoot();
        }
    }

    /// <summary>What the callers in the compilation pass for a method's or constructor's parameter (none for others).</summary>
    public static System.Collections.Generic.IEnumerable<IOperation> ArgumentsFor(IParameterSymbol parameter, Compilation compilation) =>
        parameter.ContainingSymbol switch
        {
            IMethodSymbol { MethodKind: MethodKind.Ordinary } method => CallArguments(method, parameter, compilation),
            IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => CreationArguments(constructor, parameter, compilation),
            _ => System.Array.Empty<IOperation>(),
        };

    private static System.Collections.Generic.IEnumerable<IOperation> CreationArguments(IMethodSymbol constructor, IParameterSymbol parameter, Compilation compilation)
    {
        foreach (var root in Callers(constructor, constructor.ContainingType.Name, compilation))
        {
            foreach (var creation in root.DescendantNodes().OfType<BaseObjectCreationExpressionSyntax>())
            {
                // new Schedule(...) by name; a target-typed new(...) may be any type: bound to see.
                if (creation is ObjectCreationExpressionSyntax { Type: var type } && !type.ToString().EndsWith(constructor.ContainingType.Name, System.StringComparison.Ordinal)) continue;
                if (SourceBodies.Operation(creation, compilation) is not IObjectCreationOperation made ||
                    !SymbolEqualityComparer.Default.Equals(made.Constructor?.OriginalDefinition, constructor)) continue;
                foreach (var argument in made.Arguments)
                {
                    if (SymbolEqualityComparer.Default.Equals(argument.Parameter?.OriginalDefinition, parameter)) yield return argument.Value;
                }
            }
        }
    }

    private static System.Collections.Generic.IEnumerable<IOperation> CallArguments(IMethodSymbol method, IParameterSymbol parameter, Compilation compilation)
    {
        foreach (var root in Callers(method, method.Name, compilation))
        {
            foreach (var call in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                var name = call.Expression switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                    _ => null,
                };
                if (name != method.Name || SourceBodies.Operation(call, compilation) is not IInvocationOperation invocation) continue;
                if (!SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.OriginalDefinition, method)) continue;
                foreach (var argument in invocation.Arguments)
                {
                    if (SymbolEqualityComparer.Default.Equals(argument.Parameter?.OriginalDefinition, parameter)) yield return argument.Value;
                }
            }
        }
    }

    /// <summary>
    /// The role of every value a field or property of the compilation is given (its initializer, assignments in its
    /// type's constructors), when they agree; computed once per member and compilation.
    /// </summary>
    private static GroupRole Member(KnownTypes types, ISymbol member, IOperation reference, int depth) =>
        Cached(reference, member, depth, types);

    /// <summary>The role the values a symbol is given agree on (Unknown when they disagree), cached per symbol and compilation.</summary>
    private static GroupRole Cached(IOperation reference, ISymbol symbol, int depth, KnownTypes types)
    {
        if (depth >= Operations.MaxLocalDepth || reference.SemanticModel?.Compilation is not { } compilation || !SourceBodies.InCompilation(symbol, compilation)) return GroupRole.Unknown;
        var cache = s_members.GetValue(compilation, _ => new ConcurrentDictionary<ISymbol, GroupRole>(SymbolEqualityComparer.Default));
        if (cache.TryGetValue(symbol, out var known)) return known;
        var role = GroupRole.Unknown;
        bool conflict = false;
        foreach (var value in GivenValues(symbol, compilation))
        {
            var given = Classify(types, value, depth + 1);
            if (given == GroupRole.Unknown) continue;
            if (role != GroupRole.Unknown && role != given) conflict = true;
            role = given;
        }
        return cache.GetOrAdd(symbol, conflict ? GroupRole.Unknown : role);
    }
}
