using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Contract;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// Follows DTensor placements through one method body, statement by statement, and records what it sees as
/// <see cref="FlowEvent"/>s. Locals carry the placement last assigned to them. The walk is conservative: a local
/// assigned in a loop, a switch, a try or a lambda, or on one side of an if only, becomes Unknown, and nothing
/// is reported about Unknown values. It tolerates broken code: every child may be null or invalid.
/// </summary>
internal sealed class MethodFlow
{
    private const int MaxDepth = 200;

    private readonly KnownTypes _types;
    private readonly IMethodSymbol _method;
    private readonly ImmutableArray<FlowEvent>.Builder _events = ImmutableArray.CreateBuilder<FlowEvent>();
    private Dictionary<ILocalSymbol, FlowValue> _locals = new(SymbolEqualityComparer.Default);
    private int _nestedFunctions;
    private int _depth;

    private MethodFlow(KnownTypes types, IMethodSymbol method)
    {
        _types = types;
        _method = method;
    }

    public static ImmutableArray<FlowEvent> Analyze(ImmutableArray<IOperation> blocks, IMethodSymbol method, KnownTypes types)
    {
        var flow = new MethodFlow(types, method);
        foreach (var block in blocks)
        {
            // Parameter defaults and attribute arguments are blocks too; only bodies hold data flow.
            if (block is IBlockOperation or IMethodBodyOperation or IConstructorBodyOperation)
                flow.Eval(block);
        }
        return flow._events.ToImmutable();
    }

    private FlowValue Eval(IOperation? operation)
    {
        if (operation is null) return FlowValue.Unknown;
        // Deeply nested (generated or broken) expressions: stop following rather than risk the stack.
        if (_depth > MaxDepth) return FlowValue.Unknown;
        _depth++;
        try
        {
            return EvalCore(operation);
        }
        finally
        {
            _depth--;
        }
    }

    private FlowValue EvalCore(IOperation operation)
    {
        switch (operation)
        {
            case IMethodBodyOperation body:
                return Eval((IOperation?)body.BlockBody ?? body.ExpressionBody);
            case IBlockOperation block:
                foreach (var statement in block.Operations) Eval(statement);
                return FlowValue.Unknown;
            case IVariableDeclaratorOperation declarator:
                {
                    var value = Eval(declarator.Initializer?.Value);
                    _locals[declarator.Symbol] = value;
                    return FlowValue.Unknown;
                }
            case IReturnOperation @return:
                {
                    var value = Eval(@return.ReturnedValue);
                    if (@return.ReturnedValue is { } returned && @return.Kind == OperationKind.Return) OnReturn(Unwrap(returned), value);
                    return FlowValue.Unknown;
                }
            case IParenthesizedOperation parenthesized:
                return Eval(parenthesized.Operand);
            case IConversionOperation conversion:
                {
                    var value = Eval(conversion.Operand);
                    // A user-defined conversion makes a new value; a reference conversion (to object) is the same one.
                    return conversion.OperatorMethod is null ? value : FlowValue.Unknown;
                }
            case ILocalReferenceOperation local:
                return _locals.TryGetValue(local.Local, out var known) ? known : FlowValue.Unknown;
            case IParameterReferenceOperation parameter:
                return ParameterValue(parameter.Parameter);
            case ISimpleAssignmentOperation assignment:
                {
                    var value = Eval(assignment.Value);
                    Assign(assignment.Target, value);
                    return value;
                }
            case ICompoundAssignmentOperation compound:
                {
                    var left = Eval(compound.Target);
                    var right = Eval(compound.Value);
                    var value = Binary(compound, compound.OperatorKind, compound.OperatorMethod, compound.Target, left, compound.Value, right);
                    Assign(compound.Target, value);
                    return value;
                }
            case IBinaryOperation binary:
                {
                    var left = Eval(binary.LeftOperand);
                    var right = Eval(binary.RightOperand);
                    return Binary(binary, binary.OperatorKind, binary.OperatorMethod, binary.LeftOperand, left, binary.RightOperand, right);
                }
            case IInvocationOperation invocation:
                return Invocation(invocation);
            case IPropertyReferenceOperation property:
                return PropertyReference(property);
            case IInterpolatedStringOperation interpolated:
                foreach (var part in interpolated.Parts)
                {
                    if (part is IInterpolationOperation interpolation)
                    {
                        var value = Eval(interpolation.Expression);
                        Escape(interpolation.Expression, value, "the string interpolation");
                        Eval(interpolation.Alignment);
                        Eval(interpolation.FormatString);
                    }
                    else
                    {
                        Eval(part);
                    }
                }
                return FlowValue.Unknown;
            case IConditionalOperation conditional:
                return Conditional(conditional);
            case IAnonymousFunctionOperation or ILocalFunctionOperation:
                NestedFunction(operation);
                return FlowValue.Unknown;
            case ILoopOperation or ISwitchOperation or ISwitchExpressionOperation or ITryOperation:
                Branches(operation);
                return FlowValue.Unknown;
            case IDeconstructionAssignmentOperation deconstruction:
                Eval(deconstruction.Value);
                ForgetAssignedLocals(deconstruction.Target);
                return FlowValue.Unknown;
            default:
                // Anything else (invalid code included): follow its children in order, forget what it assigns.
                foreach (var child in operation.ChildOperations) Eval(child);
                return FlowValue.Unknown;
        }
    }

    private void Assign(IOperation target, FlowValue value)
    {
        if (target is ILocalReferenceOperation local) _locals[local.Local] = value;
        else ForgetAssignedLocals(target);
    }

    private FlowValue ParameterValue(IParameterSymbol parameter)
    {
        if (!_types.IsDTensor(parameter.Type) || _nestedFunctions > 0) return FlowValue.Unknown;
        if (!SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, _method)) return FlowValue.Unknown;
        if (PlacementApis.ActivationParameter(_method, _types) is not { } activation || !SymbolEqualityComparer.Default.Equals(activation, parameter)) return FlowValue.Unknown;
        if (PlacementApis.TryGetContract(_method, _types, out var input, out _))
            return new FlowValue(input, "the input '" + parameter.Name + "' of " + _method.Name + ", [PlacementContract] " + PlacementApis.Describe(input));
        // A module's Forward takes the replicated activation of the block before it unless it declares otherwise.
        if (PlacementApis.IsModuleForward(_method, _types))
            return new FlowValue(Layout.Replicate, "the input '" + parameter.Name + "' of the module's Forward, replicated unless Forward declares a [PlacementContract]");
        return FlowValue.Unknown;
    }

    private void OnReturn(IOperation returned, FlowValue value)
    {
        if (_nestedFunctions > 0 || !PlacementApis.IsModuleForward(_method, _types) || !value.IsKnown) return;
        var declared = PlacementApis.TryGetContract(_method, _types, out _, out var output) ? output : Layout.Unknown;
        _events.Add(new ReturnEvent(returned, value, _method, declared));
    }

    private FlowValue Invocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var instance = Eval(invocation.Instance);
        var arguments = new FlowValue[invocation.Arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            var argument = invocation.Arguments[i];
            arguments[i] = Eval(argument.Value);
            if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out) ForgetAssignedLocals(argument.Value);
        }

        // Which argument is the activation: the first whose parameter is a DTensor.
        int activation = -1;
        for (int i = 0; i < arguments.Length && activation < 0; i++)
        {
            if (_types.IsDTensor(invocation.Arguments[i].Parameter?.Type)) activation = i;
        }
        IOperation? activationOperation = activation >= 0 ? Unwrap(invocation.Arguments[activation].Value) : null;
        var activationValue = activation >= 0 ? arguments[activation] : FlowValue.Unknown;
        bool returnsDTensor = _types.IsDTensor(method.ReturnType);

        // 1. Linear.Forward(DTensor) on a property or field: the layer's [TensorParallel] says what it takes and makes.
        if (method.Name == "Forward" && KnownTypes.Is(method.ContainingType, _types.Linear) && returnsDTensor && activationOperation is not null)
        {
            var member = Operations.Unwrap(invocation.Instance) switch
            {
                IPropertyReferenceOperation property => (ISymbol)property.Property,
                IFieldReferenceOperation field => field.Field,
                _ => null,
            };
            // A Linear held in a local or a collection could be any layer; say nothing about it.
            if (member is null) return FlowValue.Unknown;
            var layer = LayerInfo.From(member, invocation.SemanticModel);
            _events.Add(new ConsumeEvent(activationOperation, activationValue, new Consumer(ConsumerKind.Layer, layer.Display, layer.Input, layer)));
            var gatheredBy = layer.GathersOutput ? layer.Display + " (GatherOutput = true)" : null;
            return new FlowValue(layer.Output, layer.OutputOrigin, gatheredBy, layer.OutFeatures);
        }

        // 2. A method that declares its placements, in source or in metadata.
        if (PlacementApis.TryGetContract(method, _types, out var input, out var output))
        {
            var display = "'" + method.ContainingType.Name + "." + method.Name + "' ([PlacementContract] input " + PlacementApis.Describe(input) + ")";
            if (activationOperation is not null) _events.Add(new ConsumeEvent(activationOperation, activationValue, new Consumer(ConsumerKind.ContractMethod, display, input)));
            return returnsDTensor ? new FlowValue(output, "the output of '" + method.ContainingType.Name + "." + method.Name + "'") : FlowValue.Unknown;
        }

        // 3. Ops.
        if (KnownTypes.Is(method.ContainingType, _types.Ops) && activationOperation is not null)
        {
            switch (method.Name)
            {
                case "Silu":
                case "Gelu":
                case "Relu":
                    _events.Add(new ConsumeEvent(activationOperation, activationValue, new Consumer(ConsumerKind.Activation, "Ops." + method.Name, Layout.Unknown)));
                    // Element-wise: a shard stays a shard, a replica a replica; what a partial sum becomes is meaningless.
                    return activationValue.IsPartial ? FlowValue.Unknown : activationValue;
                case "AllReduce":
                    return new FlowValue(Layout.Replicate, "the result of Ops.AllReduce", features: activationValue.Features);
            }
        }

        // 4. DTensor's own methods.
        if (_types.IsDTensor(method.ContainingType) && !method.IsStatic && invocation.Instance is { } receiver)
        {
            if (method.Name == "Redistribute" && invocation.Arguments.Length == 1)
            {
                var target = PlacementApis.ReadPlacement(invocation.Arguments[0].Value, _types);
                _events.Add(new RedistributeEvent(invocation, Unwrap(receiver), instance, target));
                if (target == Layout.Unknown) return FlowValue.Unknown;
                var gatheredBy = instance.IsKnown && instance.Layout == Layout.ShardLast && target == Layout.Replicate ? "'.Redistribute(Placement.Replicate)'" : null;
                var origin = target switch
                {
                    Layout.Replicate => "the result of .Redistribute(Placement.Replicate)",
                    Layout.ShardLast => "the result of .Redistribute(Placement.Shard(-1))",
                    _ => "the result of .Redistribute(Placement.Partial())",
                };
                return new FlowValue(target, origin, gatheredBy, instance.Features);
            }
            if (PlacementApis.IsValueRead(method.Name)) Escape(Unwrap(receiver), instance, "'." + method.Name + "()'");
            return FlowValue.Unknown;
        }

        // 5. Extension methods that read a DTensor's values out (ToArray and the like).
        if (method.IsExtensionMethod && activation == 0 && PlacementApis.IsValueRead(method.Name) && activationOperation is not null)
            Escape(activationOperation, activationValue, "'." + method.Name + "()'");

        // 6. Norms and softmax need the whole value, never an addend.
        if (PlacementApis.IsNormLike(method.Name) && activationOperation is not null)
        {
            _events.Add(new ConsumeEvent(activationOperation, activationValue, new Consumer(ConsumerKind.NormLike, "'" + method.Name + "'", Layout.Unknown)));
            return returnsDTensor && activationValue.IsKnown && activationValue.Layout == Layout.Replicate
                ? new FlowValue(Layout.Replicate, "the result of '" + method.Name + "'")
                : FlowValue.Unknown;
        }

        // 7. Printing and logging.
        if (PlacementApis.IsOutputSink(method))
        {
            for (int i = 0; i < arguments.Length; i++)
                Escape(Unwrap(invocation.Arguments[i].Value), arguments[i], method.ContainingType.Name + "." + method.Name);
        }
        return FlowValue.Unknown;
    }

    private FlowValue PropertyReference(IPropertyReferenceOperation property)
    {
        var instance = Eval(property.Instance);
        foreach (var argument in property.Arguments) Eval(argument.Value);
        if (property.Instance is { } receiver && _types.IsDTensor(property.Property.ContainingType) && property.Property.Name is "Local" or "LocalSpan")
            Escape(Unwrap(receiver), instance, "'." + property.Property.Name + "'");
        return FlowValue.Unknown;
    }

    private FlowValue Binary(IOperation operation, BinaryOperatorKind kind, IMethodSymbol? operatorMethod, IOperation left, FlowValue leftValue, IOperation right, FlowValue rightValue)
    {
        if (operatorMethod is not null && _types.IsDTensor(operatorMethod.ContainingType))
        {
            _events.Add(new OperatorEvent(operation, kind, Unwrap(left), leftValue, Unwrap(right), rightValue));
            if (!leftValue.IsKnown || !rightValue.IsKnown || leftValue.Layout != rightValue.Layout) return FlowValue.Unknown;
            // Sums of addends stay addends; a product of two partial sums is not a partial sum of anything.
            if (kind == BinaryOperatorKind.Multiply && leftValue.Layout == Layout.PartialSum) return FlowValue.Unknown;
            return leftValue;
        }

        switch (kind)
        {
            case BinaryOperatorKind.Equals:
            case BinaryOperatorKind.NotEquals:
            case BinaryOperatorKind.LessThan:
            case BinaryOperatorKind.LessThanOrEqual:
            case BinaryOperatorKind.GreaterThan:
            case BinaryOperatorKind.GreaterThanOrEqual:
                {
                    // Comparing with null asks whether there is a value, not what it is.
                    string how = "the comparison '" + OperatorText(kind) + "'";
                    if (!IsNull(right)) Escape(Unwrap(left), leftValue, how);
                    if (!IsNull(left)) Escape(Unwrap(right), rightValue, how);
                    break;
                }
            case BinaryOperatorKind.Add when operation.Type?.SpecialType == SpecialType.System_String:
                Escape(Unwrap(left), leftValue, "the string concatenation");
                Escape(Unwrap(right), rightValue, "the string concatenation");
                break;
        }
        return FlowValue.Unknown;
    }

    private FlowValue Conditional(IConditionalOperation conditional)
    {
        Eval(conditional.Condition);
        var before = _locals;
        _locals = new Dictionary<ILocalSymbol, FlowValue>(before, SymbolEqualityComparer.Default);
        var whenTrue = Eval(conditional.WhenTrue);
        var afterTrue = _locals;
        _locals = new Dictionary<ILocalSymbol, FlowValue>(before, SymbolEqualityComparer.Default);
        var whenFalse = Eval(conditional.WhenFalse);
        var afterFalse = _locals;

        // A local keeps its placement after the if only when both sides leave it the same.
        _locals = new Dictionary<ILocalSymbol, FlowValue>(SymbolEqualityComparer.Default);
        foreach (var pair in afterTrue)
        {
            if (afterFalse.TryGetValue(pair.Key, out var other)) _locals[pair.Key] = Merge(pair.Value, other);
        }
        return conditional.WhenFalse is null ? FlowValue.Unknown : Merge(whenTrue, whenFalse);
    }

    private static FlowValue Merge(FlowValue a, FlowValue b) =>
        a.IsKnown && b.IsKnown && a.Layout == b.Layout && a.Origin == b.Origin && a.GatheredBy == b.GatheredBy ? a : FlowValue.Unknown;

    /// <summary>
    /// Loops, switches, try: the order in which their parts run is not the order they are written in. Every local
    /// they assign is Unknown before each part and after the whole, and each part starts from the same state.
    /// </summary>
    private void Branches(IOperation operation)
    {
        ForgetAssignedLocals(operation);
        var start = _locals;
        foreach (var child in operation.ChildOperations)
        {
            _locals = new Dictionary<ILocalSymbol, FlowValue>(start, SymbolEqualityComparer.Default);
            Eval(child);
        }
        _locals = start;
        ForgetAssignedLocals(operation);
    }

    /// <summary>A lambda or local function runs at another time: walk it with nothing known, then forget what it assigns.</summary>
    private void NestedFunction(IOperation function)
    {
        var outer = _locals;
        _locals = new Dictionary<ILocalSymbol, FlowValue>(SymbolEqualityComparer.Default);
        _nestedFunctions++;
        try
        {
            foreach (var child in function.ChildOperations) Eval(child);
        }
        finally
        {
            _nestedFunctions--;
            _locals = outer;
        }
        ForgetAssignedLocals(function);
    }

    private void ForgetAssignedLocals(IOperation? root)
    {
        if (root is null || _locals.Count == 0) return;
        foreach (var node in root.DescendantsAndSelf())
        {
            if (node is ILocalReferenceOperation local && IsWritten(local)) _locals.Remove(local.Local);
        }
    }

    private static bool IsWritten(ILocalReferenceOperation local)
    {
        IOperation current = local;
        var parent = current.Parent;
        // Step out of tuple and parenthesised targets: (a, b) = ...
        while (parent is ITupleOperation or IParenthesizedOperation or IConversionOperation)
        {
            current = parent;
            parent = parent.Parent;
        }
        return parent switch
        {
            IAssignmentOperation assignment => assignment.Target == current,
            IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
            IIncrementOrDecrementOperation => true,
            _ => false,
        };
    }

    private void Escape(IOperation value, FlowValue flowValue, string how)
    {
        if (flowValue.IsPartial) _events.Add(new EscapeEvent(value, flowValue, how));
    }

    private static bool IsNull(IOperation operation) => Unwrap(operation).ConstantValue is { HasValue: true, Value: null };

    private static string OperatorText(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.Equals => "==",
        BinaryOperatorKind.NotEquals => "!=",
        BinaryOperatorKind.LessThan => "<",
        BinaryOperatorKind.LessThanOrEqual => "<=",
        BinaryOperatorKind.GreaterThan => ">",
        _ => ">=",
    };


    private static IOperation Unwrap(IOperation operation) => Operations.Unwrap(operation)!;
}
