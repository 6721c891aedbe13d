// TP0012 — data split by the tensor-parallel group.
// Tensor parallelism is not data parallelism: the ranks of one tensor-parallel group must see the SAME batch, because
// together they compute one matrix multiply over it. Keying a data split on the tensor-parallel rank or size
// (batch.Slice(tp.Rank * n, n), tokens / tp.Size, samples.Where((_, i) => i % tp.Size == tp.Rank), a sampler or a
// reader given rank: mesh.TensorParallel.Rank or mesh.World.Rank)
// hands each rank different rows, and the layer's all-reduce then sums unrelated tokens. Deliberately conservative:
// it needs a tensor-parallel Rank/Size next to a name that says batch, tokens, samples or sequence.
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DataSplitByTensorParallelGroupAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.DataSplitByTensorParallelGroup);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var types = KnownTypes.TryCreate(start.Compilation);
            if (types is null) return;
            SourceOperationActions.RegisterOperationAction(start, c => AnalyzeArithmetic(c, types), OperationKind.Binary);
            SourceOperationActions.RegisterOperationAction(start, c => AnalyzeAccess(c, types), OperationKind.Invocation, OperationKind.ArrayElementReference, OperationKind.ImplicitIndexerReference);
            SourceOperationActions.RegisterOperationAction(start, c => AnalyzeSampler(c, types), OperationKind.ObjectCreation, OperationKind.Invocation);
        });
    }

    /// <summary><c>tokens / tp.Size</c>, <c>tp.Rank * batchPerRank</c>: reported once, at the outermost such arithmetic.</summary>
    private static void AnalyzeArithmetic(SourceOperationContext context, KnownTypes types)
    {
        var binary = (IBinaryOperation)context.Operation;
        if (Split(binary, types) is not { } found) return;
        for (var parent = binary.Parent; parent is not null && parent is not IBlockOperation; parent = parent.Parent)
        {
            if (parent is IBinaryOperation outer && Split(outer, types) is not null) return;
            // Inside batch.Slice(...) or batch[...] the access itself is reported.
            if (AccessedData(parent, types) is not null) return;
        }
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.DataSplitByTensorParallelGroup, binary.Syntax.GetLocation(), Operations.Text(binary.Syntax), found.Data, found.Key));
    }

    /// <summary>
    /// A data name divided by the tensor-parallel size (<c>tokens / tp.Size</c>, the name itself on the left, so that
    /// byte counts such as <c>tokens * hidden / tp.Size</c> pass), or the tensor-parallel rank combined with an
    /// expression that reads a data name (<c>tp.Rank * batchPerRank</c>).
    /// </summary>
    private static (string Data, string Key)? Split(IBinaryOperation binary, KnownTypes types)
    {
        if (binary.OperatorKind is BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder &&
            types.IsGroupPropertyOf(binary.RightOperand, "Size", GroupRole.TensorParallel) &&
            DividedData(binary.LeftOperand, types) is { } divided)
            return (divided, Quote(binary.RightOperand));
        if (!IsArithmetic(binary)) return null;
        foreach (var (rank, other) in new[] { (binary.LeftOperand, binary.RightOperand), (binary.RightOperand, binary.LeftOperand) })
        {
            if (types.IsGroupPropertyOf(rank, "Rank", GroupRole.TensorParallel) && DataName(other) is { } data) return (data, Quote(rank));
        }
        return null;
    }

    private static string Quote(IOperation operation) => "'" + Operations.Text(Operations.Unwrap(operation)!.Syntax) + "'";

    /// <summary>
    /// <c>batch.Slice(tp.Rank * n, n)</c>, <c>samples[tp.Rank]</c>, <c>tokens[(tp.Rank * n)..]</c>: reported once per chain,
    /// at its outermost access (<c>samples.Skip(tp.Rank * per).Take(per)</c> is one split, not two).
    /// </summary>
    private static void AnalyzeAccess(SourceOperationContext context, KnownTypes types)
    {
        if (AccessedData(context.Operation, types) is not { } found || ReceiverOfSplit(context.Operation, types)) return;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.DataSplitByTensorParallelGroup, context.Operation.Syntax.GetLocation(), Operations.Text(context.Operation.Syntax), found.Data, found.Key));
    }

    /// <summary>Whether <paramref name="access"/> is the receiver of an access that splits the data itself.</summary>
    private static bool ReceiverOfSplit(IOperation access, KnownTypes types)
    {
        var child = access;
        for (var parent = access.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IConversionOperation or IParenthesizedOperation:
                    continue;
                case IArgumentOperation argument when argument.Parent is IInvocationOperation { Instance: null } call &&
                                                      call.TargetMethod.IsExtensionMethod && call.Arguments.Length > 0 && call.Arguments[0] == argument:
                    continue;
                case IInvocationOperation call when call.Instance == child || (call.Instance is null && call.Arguments.Length > 0 && call.Arguments[0] == child):
                case IArrayElementReferenceOperation element when element.ArrayReference == child:
                case IImplicitIndexerReferenceOperation indexer when indexer.Instance == child:
                    if (AccessedData(parent, types) is not null) return true;
                    continue;
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary><c>new DistributedSampler(samples, rank: mesh.TensorParallel.Rank)</c>: a data loader keyed on the wrong group.</summary>
    private static void AnalyzeSampler(SourceOperationContext context, KnownTypes types)
    {
        // Asked of every call and creation: the names are tested before any text is made.
        var (typeName, methodName, arguments) = context.Operation switch
        {
            IObjectCreationOperation creation => (creation.Type?.Name, null, creation.Arguments),
            IInvocationOperation invocation => (invocation.TargetMethod.ContainingType?.Name, invocation.TargetMethod.Name, invocation.Arguments),
            _ => (null, null, ImmutableArray<IArgumentOperation>.Empty),
        };
        if (typeName is null || !(IsLoaderName(typeName) || (methodName is not null && IsLoaderName(methodName)))) return;
        string target = methodName is null ? typeName : typeName + "." + methodName;
        string call = methodName is null ? "new " + typeName + "(...)" : target + "(...)";
        // The data is the argument with a data name (samples, tokens, ...), else the loader itself.
        string data = target;
        foreach (var argument in arguments)
        {
            if (Operations.ReferencedName(argument.Value) is { } name && Names.IsData(name))
            {
                data = name;
                break;
            }
        }
        foreach (var argument in arguments)
        {
            var value = argument.Value;
            string? key = null;
            foreach (var property in new[] { "Rank", "Size" })
            {
                // The world is wrong for data only when a mesh says there is a tensor-parallel group inside it.
                if (types.IsGroupPropertyOf(value, property, GroupRole.TensorParallel) || IsMeshWorldProperty(value, property, types))
                    key = "'" + Operations.Text(Operations.Unwrap(value)!.Syntax) + "'";
            }
            if (key is null) continue;
            // Once per loader: its rank and its replica count given from the same group are one mistake.
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.DataSplitByTensorParallelGroup, value.Syntax.GetLocation(), call, data, key));
            return;
        }
    }

    private static bool IsLoaderName(string name) =>
        name.Contains("Sampler") || name.Contains("DataLoader") || name.Contains("Dataset") || name.Contains("Reader");

    private static (string Data, string Key)? AccessedData(IOperation operation, KnownTypes types)
    {
        // Asked of every invocation and element access: the receiver's data name first, the indices only for those that have one.
        IOperation? receiver;
        bool extension = false;
        switch (operation)
        {
            case IInvocationOperation invocation:
                extension = invocation.TargetMethod.IsExtensionMethod && invocation.Instance is null;
                receiver = invocation.Instance ?? (extension && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
                break;
            case IArrayElementReferenceOperation element:
                receiver = element.ArrayReference;
                break;
            case IImplicitIndexerReferenceOperation indexer:
                receiver = indexer.Instance;
                break;
            default:
                return null;
        }
        // batch.AsSpan().Slice(...): the data is named somewhere along the receiver chain.
        string? data = null;
        foreach (var link in Operations.Chain(receiver))
        {
            if (Operations.ReferencedName(link) is { } name && Names.IsData(name))
            {
                data = name;
                break;
            }
        }
        if (data is null) return null;
        foreach (var index in Indices(operation, extension))
        {
            if (TensorParallelKey(index, types, followLocals: true) is { } key) return (data, key);
        }
        return null;
    }

    /// <summary>What selects the part of the data: the call's arguments (after an extension's receiver), the element's indices.</summary>
    private static IEnumerable<IOperation> Indices(IOperation operation, bool extension)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                for (int i = extension ? 1 : 0; i < invocation.Arguments.Length; i++) yield return invocation.Arguments[i].Value;
                break;
            case IArrayElementReferenceOperation element:
                foreach (var index in element.Indices) yield return index;
                break;
            case IImplicitIndexerReferenceOperation indexer:
                yield return indexer.Argument;
                break;
        }
    }

    /// <summary>
    /// The tensor-parallel rank anywhere in the expression, or its size as a divisor (a multiple of the size is
    /// TP0013's business), or a mesh's world's, quoted for the message; locals are followed into their initializers
    /// when asked.
    /// </summary>
    private static string? TensorParallelKey(IOperation expression, KnownTypes types, bool followLocals, int depth = 0)
    {
        foreach (var operation in Operations.SelfAndDescendants(expression))
        {
            // The world of a mesh holds its tensor-parallel groups: the data must not be split over it either (as for samplers).
            if (types.IsGroupPropertyOf(operation, "Rank", GroupRole.TensorParallel) || IsMeshWorldProperty(operation, "Rank", types))
                return "'" + Operations.Text(operation.Syntax) + "'";
            if (operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder } division &&
                (types.IsGroupPropertyOf(division.RightOperand, "Size", GroupRole.TensorParallel) || IsMeshWorldProperty(division.RightOperand, "Size", types)))
                return "'" + Operations.Text(Operations.Unwrap(division.RightOperand)!.Syntax) + "'";
            if (followLocals && depth < Operations.MaxLocalDepth && operation is ILocalReferenceOperation local &&
                Operations.InitializerOf(local) is { } initializer && TensorParallelKey(initializer, types, true, depth + 1) is { } key)
                return key;
        }
        return null;
    }

    private static string? DataName(IOperation expression)
    {
        foreach (var operation in Operations.SelfAndDescendants(expression))
        {
            if (operation is IInvocationOperation) continue;
            if (Operations.ReferencedName(operation) is { } name && Names.IsData(name)) return name;
        }
        return null;
    }

    /// <summary><c>tokens</c>, or the count of named data: <c>samples.Count</c>, <c>batch.Length</c>.</summary>
    private static string? DividedData(IOperation dividend, KnownTypes types)
    {
        var operand = Operations.Unwrap(dividend);
        // x.Tokens / x.Group.Size: a DTensor's own rows, counted for its placement (a sequence shard's local rows).
        if (operand is IPropertyReferenceOperation { Property.ContainingType: var owner } && types.IsDTensor(owner)) return null;
        if (operand is IPropertyReferenceOperation { Property.Name: "Count" or "Length" or "LongLength", Instance: { } collection })
            operand = collection;
        return Operations.ReferencedName(operand) is { } name && Names.IsData(name) ? name : null;
    }

    private static bool IsMeshWorldProperty(IOperation value, string name, KnownTypes types) =>
        Operations.Unwrap(value) is IPropertyReferenceOperation { Instance: { } instance } property &&
        types.IsGroupProperty(property.Property, name) &&
        Operations.Unwrap(instance) is IPropertyReferenceOperation { Property.Name: "World" } world &&
        SymbolEqualityComparer.Default.Equals(world.Property.ContainingType, types.DeviceMesh);

    private static bool IsArithmetic(IBinaryOperation? binary) => binary?.OperatorKind is
        BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply or BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder;
}
