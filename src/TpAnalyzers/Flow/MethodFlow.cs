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
/// Follows DTensor placements through one method body and records what it sees as <see cref="FlowEvent"/>s. Locals
/// carry the placement last assigned to them; where paths meet (if/else, ternary, switch, ??, try, a loop's head and
/// exit) their values are joined, and a value partial on any path is partial there (<see cref="FlowValue.Join"/>).
/// Loops are walked to a fixed point before their events are recorded (MethodFlow.Paths.cs). Calls to methods of
/// the compilation read those methods' summaries (<see cref="MethodSummaries"/>). Nothing is reported about Unknown
/// values. It tolerates broken code: every child may be null or invalid.
/// </summary>
internal sealed partial class MethodFlow
{
    private const int MaxDepth = 200;

    private readonly KnownTypes _types;
    private readonly IMethodSymbol _method;
    private readonly Compilation? _compilation;
    private readonly bool _summarizing;
    private readonly ImmutableArray<FlowEvent>.Builder _events = ImmutableArray.CreateBuilder<FlowEvent>();
    private FlowState _state = new();
    private FlowValue _returned;
    private bool _returns;
    private int _nestedFunctions;
    private int _depth;

    private MethodFlow(KnownTypes types, IMethodSymbol method, Compilation? compilation, bool summarizing)
    {
        _types = types;
        _method = method;
        _compilation = compilation;
        _summarizing = summarizing;
    }

    /// <summary>The events of a method body, as the rules read them.</summary>
    /// <param name="compilation">Where called methods' summaries come from; null to read each method on its own.</param>
    public static ImmutableArray<FlowEvent> Analyze(ImmutableArray<IOperation> blocks, IMethodSymbol method, KnownTypes types, Compilation? compilation)
    {
        var flow = new MethodFlow(types, method, compilation, summarizing: false);
        foreach (var block in blocks)
        {
            // Parameter defaults and attribute arguments are blocks too; only bodies hold data flow.
            if (block is IBlockOperation or IMethodBodyOperation or IConstructorBodyOperation)
                flow.Eval(block);
        }
        return flow._events.ToImmutable();
    }

    /// <summary>
    /// The walk a summary is made from: each DTensor parameter is "whatever the caller passes"
    /// (<see cref="FlowValue.OfParameter"/>), and every returned value is joined.
    /// </summary>
    public static (ImmutableArray<FlowEvent> Events, FlowValue Returned) Summarize(IOperation body, IMethodSymbol method, KnownTypes types, Compilation compilation)
    {
        var flow = new MethodFlow(types, method, compilation, summarizing: true);
        flow.Eval(body);
        return (flow._events.ToImmutable(), flow._returns ? flow._returned : FlowValue.Unknown);
    }

    private void Record(FlowEvent e)
    {
        // While a loop is walked to its fixed point its events wait for the last pass, which sees the final values.
        if (Recording) _events.Add(e);
    }

    /// <summary>False in a loop's quiet passes: the frequent events are not even made then.</summary>
    private bool Recording => _quiet == 0;

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
                    _state.Set(declarator.Symbol, value);
                    return FlowValue.Unknown;
                }
            case IReturnOperation @return:
                {
                    var value = Eval(@return.ReturnedValue);
                    if (@return.ReturnedValue is { } returned && @return.Kind == OperationKind.Return) OnReturn(Unwrap(returned), value);
                    _state.MarkUnreachable();
                    return FlowValue.Unknown;
                }
            case IParenthesizedOperation parenthesized:
                return Eval(parenthesized.Operand);
            case IAwaitOperation awaited:
                // await MlpAsync(x): the task's result is what the async helper returned (its summary's value).
                return Eval(awaited.Operation);
            case IConversionOperation conversion:
                {
                    var value = Eval(conversion.Operand);
                    // A user-defined conversion makes a new value; a reference conversion (to object) is the same one.
                    return conversion.OperatorMethod is null ? value : FlowValue.Unknown;
                }
            case ILocalReferenceOperation local:
                return _state.Get(local.Local);
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
                        Formatted(interpolation.Expression, value, "the string interpolation");
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
            case ICoalesceOperation coalesce:
                return Coalesce(coalesce);
            case IAnonymousFunctionOperation or ILocalFunctionOperation:
                NestedFunction(operation);
                return FlowValue.Unknown;
            case ILoopOperation loop:
                Loop(loop);
                return FlowValue.Unknown;
            case ISwitchOperation @switch:
                Switch(@switch);
                return FlowValue.Unknown;
            case ISwitchExpressionOperation switchExpression:
                return SwitchExpression(switchExpression);
            case ITryOperation @try:
                Try(@try);
                return FlowValue.Unknown;
            case IBranchOperation branch:
                Jump(branch);
                return FlowValue.Unknown;
            case IThrowOperation @throw:
                Eval(@throw.Exception);
                _state.MarkUnreachable();
                return FlowValue.Unknown;
            case ILabeledOperation labeled:
                // A label is reached by jumps this walk does not follow: nothing is known about the locals there.
                _state = new FlowState();
                return Eval(labeled.Operation);
            case IDeconstructionAssignmentOperation deconstruction:
                {
                    var value = Eval(deconstruction.Value);
                    ForgetAssignedLocals(deconstruction.Target);
                    // var (y, cache) = Attention(x): each local takes its element.
                    var target = Unwrap(deconstruction.Target);
                    if (target is IDeclarationExpressionOperation declaration) target = Unwrap(declaration.Expression);
                    if (target is ITupleOperation targets && !value.Elements.IsDefault && value.Elements.Length == targets.Elements.Length)
                    {
                        for (int i = 0; i < targets.Elements.Length; i++)
                        {
                            if (Unwrap(targets.Elements[i]) is ILocalReferenceOperation local) _state.Set(local.Local, value.Elements[i]);
                        }
                    }
                    return FlowValue.Unknown;
                }
            case ITupleOperation tuple:
                {
                    // (Down.Forward(h), cache): kept element by element when one of them is a DTensor worth following.
                    var elements = tuple.Elements.Select(Eval).ToImmutableArray();
                    return elements.Any(e => e.IsKnown || e.Parameter >= 0) ? FlowValue.Tuple(elements) : FlowValue.Unknown;
                }
            case IFieldReferenceOperation { Field.ContainingType.IsTupleType: true, Instance: { } instance } element:
                {
                    // result.Item1, result.Output: the element of a followed tuple.
                    var value = Eval(instance);
                    // Item1 and a named element (Out) are two fields of one position: compared through their ItemN.
                    var field = element.Field.CorrespondingTupleField ?? element.Field;
                    var elements = element.Field.ContainingType.TupleElements;
                    int index = -1;
                    for (int i = 0; i < elements.Length && index < 0; i++)
                    {
                        if (SymbolEqualityComparer.Default.Equals(elements[i].CorrespondingTupleField ?? elements[i], field)) index = i;
                    }
                    return !value.Elements.IsDefault && index >= 0 && index < value.Elements.Length ? value.Elements[index] : FlowValue.Unknown;
                }
            default:
                // Anything else (invalid code included): follow its children in order, forget what it assigns.
                foreach (var child in operation.ChildOperations) Eval(child);
                return FlowValue.Unknown;
        }
    }

    private void Assign(IOperation target, FlowValue value)
    {
        if (target is ILocalReferenceOperation local) _state.Set(local.Local, value);
        else ForgetAssignedLocals(target);
    }

    private FlowValue ParameterValue(IParameterSymbol parameter)
    {
        // A summary follows a local tensor parameter only to where it is reshaped.
        if (_summarizing && _nestedFunctions == 0 && KnownTypes.IsLocalTensor(parameter.Type) && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, _method))
            return FlowValue.OfParameter(parameter.Ordinal);
        if (!_types.IsDTensor(parameter.Type) || _nestedFunctions > 0) return FlowValue.Unknown;
        if (!SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, _method)) return FlowValue.Unknown;
        if (_summarizing) return FlowValue.OfParameter(parameter.Ordinal);
        // The same at every read of the parameter: worked out at the first.
        _activation ??= ActivationValue();
        return _activation.Value.Parameter is { } activation && SymbolEqualityComparer.Default.Equals(activation, parameter) ? _activation.Value.Value : FlowValue.Unknown;
    }

    private (IParameterSymbol? Parameter, FlowValue Value)? _activation;

    // The layers this walk has met: a loop's passes and repeated calls ask again (LayerInfo keeps no table of its own).
    private Dictionary<ISymbol, LayerInfo>? _layers;

    private LayerInfo Layer(ISymbol member, SemanticModel? model)
    {
        _layers ??= new Dictionary<ISymbol, LayerInfo>(SymbolEqualityComparer.Default);
        if (!_layers.TryGetValue(member, out var layer)) _layers[member] = layer = LayerInfo.From(member, model);
        return layer;
    }

    // Whether the walked method is a module's Forward: asked at every return, and reading its type's members allocates.
    private bool IsModuleForward => _isModuleForward ??= PlacementApis.IsModuleForward(_method, _types);

    private bool? _isModuleForward;

    /// <summary>The method's activation parameter and what it holds on entry: its contract's input, or a module Forward's replica.</summary>
    private (IParameterSymbol? Parameter, FlowValue Value) ActivationValue()
    {
        if (PlacementApis.ActivationParameter(_method, _types) is not { } activation) return (null, FlowValue.Unknown);
        if (PlacementApis.TryGetContract(_method, _types, out var input, out _))
            return (activation, new FlowValue(input, InputOrigin + activation.Name + "' of " + _method.Name + ", [PlacementContract] " + PlacementApis.Describe(input)));
        // A module's Forward takes the replicated activation of the block before it unless it declares otherwise.
        if (IsModuleForward)
            return (activation, new FlowValue(Layout.Replicate, InputOrigin + activation.Name + "' of the module's Forward, replicated unless Forward declares a [PlacementContract]"));
        return (activation, FlowValue.Unknown);
    }

    private void OnReturn(IOperation returned, FlowValue value)
    {
        if (_summarizing)
        {
            if (_nestedFunctions > 0 || !_state.Reachable) return;
            _returned = _returns ? FlowValue.Join(_returned, value) : value;
            _returns = true;
            return;
        }
        if (_nestedFunctions > 0 || !IsModuleForward || !value.IsKnown) return;
        var declared = PlacementApis.TryGetContract(_method, _types, out _, out var output) ? output : Layout.Unknown;
        Record(new ReturnEvent(returned, value, _method, declared));
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
            var layer = Layer(member, invocation.SemanticModel);
            if (Recording) Record(new ConsumeEvent(activationOperation, activationValue, layer.AsConsumer));
            return layer.OutputValue;
        }

        // 2. A method that declares its placements, in source or in metadata.
        if (PlacementApis.TryGetContract(method, _types, out var input, out var output))
        {
            var display = "'" + method.ContainingType.Name + "." + method.Name + "' ([PlacementContract] input " + PlacementApis.Describe(input) + ")";
            if (activationOperation is not null) Record(new ConsumeEvent(activationOperation, activationValue, new Consumer(ConsumerKind.ContractMethod, display, input)));
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
                    if (Recording) Record(new ConsumeEvent(activationOperation, activationValue, new Consumer(ConsumerKind.Activation, "Ops." + method.Name, Layout.Unknown)));
                    // Element-wise: a shard stays a shard, a replica a replica; what a partial sum becomes is meaningless.
                    return activationValue.IsPartial ? FlowValue.Unknown : activationValue;
                case "AllReduce":
                    if (Recording) Record(new ReduceEvent(activationOperation, activationValue, "Ops.AllReduce"));
                    return new FlowValue(Layout.Replicate, "the result of Ops.AllReduce", features: activationValue.Features);
            }
        }

        // 3a. A group summing a DTensor's local values: tp.AllReduce(y.LocalSpan).
        if (Recording && _types.IsGroupMethod(method, "AllReduce") && SummedLocals(invocation) is { } summed)
            Record(new ReduceEvent(summed.Tensor, summed.Value, Calls.Name(invocation)));

        // 3b. Norms and the vocabulary-parallel loss of TpRuntime (SequenceApis).
        if (activationOperation is not null && SequenceModel(method, activationOperation, activationValue, returnsDTensor) is { } modelled)
            return modelled;

        // 3c. An embedding's lookup: the ids' rows on every rank (a vocabulary-parallel embedding all-reduces them).
        if (method.Name == "Forward" && returnsDTensor && _types.Embedding is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, _types.Embedding))
            return new FlowValue(Layout.Replicate, "the output of embedding '" + (Operations.ReferencedName(invocation.Instance) ?? "Embedding") + "'");

        // 4. DTensor's own methods.
        if (_types.IsDTensor(method.ContainingType) && !method.IsStatic && invocation.Instance is { } receiver)
        {
            if (method.Name == "Redistribute" && invocation.Arguments.Length == 1)
            {
                var target = PlacementApis.ReadPlacement(invocation.Arguments[0].Value, _types);
                Record(new RedistributeEvent(invocation, Unwrap(receiver), instance, target));
                if (target == Layout.Unknown) return FlowValue.Unknown;
                bool gathered = instance.IsKnown && instance.Layout == Layout.ShardLast && target == Layout.Replicate;
                var gatheredBy = gathered ? "'.Redistribute(Placement.Replicate)'" : null;
                var origin = target switch
                {
                    Layout.Replicate => "the result of .Redistribute(Placement.Replicate)",
                    Layout.ShardLast => "the result of .Redistribute(Placement.Shard(-1))",
                    SequenceApis.TokenShard => "the result of .Redistribute(Placement.Shard(-2))",
                    _ => "the result of .Redistribute(Placement.Partial())",
                };
                // Gathered logits still say whose they are: TP0023 names the vocabulary layer the loss should have had the shards of.
                return new FlowValue(target, origin, gatheredBy, instance.Features).WithVocabulary(gathered ? instance.VocabularyOf : null);
            }
            if (TokenMove(method, instance, invocation.Arguments.Length) is { } moved) return moved;
            // FullTensor is Redistribute(Placement.Replicate) read out.
            if (method.Name == "FullTensor" && invocation.Arguments.Length == 0) Record(new RedistributeEvent(invocation, Unwrap(receiver), instance, Layout.Replicate));
            if (PlacementApis.IsValueRead(method.Name)) Escape(Unwrap(receiver), instance, "'." + method.Name + "()'");
            return FlowValue.Unknown;
        }

        // 4b. DTensor's factories: DTensor.FromArray(local, tokens, features, Placement.Replicate, group) is what it says.
        if (_types.IsDTensor(method.ContainingType) && method.IsStatic && returnsDTensor)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name != "placement") continue;
                var layout = PlacementApis.ReadPlacement(argument.Value, _types);
                Relabelled(invocation, arguments, layout);
                return layout == Layout.Unknown
                    ? FlowValue.Unknown
                    : new FlowValue(layout, "made by 'DTensor." + method.Name + "' with Placement." + PlacementApis.Describe(layout));
            }
            return FlowValue.Unknown;
        }

        // 4c. Tensor.Reshape(x.Local, ...): the shape a rank's shard is read in.
        if (method.Name == "Reshape" && method.IsStatic && arguments.Length == 2 && (arguments[0].IsLocalView || (_summarizing && arguments[0].Parameter >= 0)))
        {
            Reshaped(invocation, arguments[0]);
            return FlowValue.Unknown;
        }

        // 5. Extension methods that read a DTensor's values out (ToArray and the like).
        // What it does inside is that read, told once.
        if (method.IsExtensionMethod && activation == 0 && PlacementApis.IsValueRead(method.Name) && activationOperation is not null)
        {
            Escape(activationOperation, activationValue, "'." + method.Name + "()'");
            return FlowValue.Unknown;
        }

        // 6. Norms and softmax need the whole value, never an addend.
        if (PlacementApis.IsNormLike(method.Name) && activationOperation is not null)
        {
            Record(new ConsumeEvent(activationOperation, activationValue, new Consumer(ConsumerKind.NormLike, "'" + method.Name + "'", Layout.Unknown)));
            return returnsDTensor && activationValue.IsKnown && activationValue.Layout == Layout.Replicate
                ? new FlowValue(Layout.Replicate, "the result of '" + method.Name + "'")
                : FlowValue.Unknown;
        }

        // 7. A method of this compilation: what its summary says it does with its arguments and returns.
        if (_compilation is not null && MethodSummaries.Of(method, _compilation, _types) is { } summary)
            return Called(invocation, arguments, summary);

        // 8. Printing and logging.
        if (PlacementApis.IsOutputSink(method))
        {
            for (int i = 0; i < arguments.Length; i++)
                Formatted(Unwrap(invocation.Arguments[i].Value), arguments[i], method.ContainingType.Name + "." + method.Name);
        }
        return FlowValue.Unknown;
    }

    /// <summary>
    /// A shard of a layer whose output is made of heads, reshaped with the global head count among its lengths: the
    /// rank holds heads / tp of them (TP0020 reads the event).
    /// </summary>
    private void Reshaped(IInvocationOperation invocation, FlowValue shard)
    {
        if (_summarizing && shard.Parameter >= 0)
        {
            // A helper's own parameter: which of its parameters give the lengths, for the caller to check.
            var parameters = ImmutableArray.CreateBuilder<int>();
            foreach (var length in Lengths(invocation.Arguments[1].Value))
            {
                if (length is IParameterReferenceOperation { Parameter: var p } && SymbolEqualityComparer.Default.Equals(p.ContainingSymbol, _method)) parameters.Add(p.Ordinal);
            }
            if (parameters.Count > 0) Record(new ParameterReshapeEvent(shard.Parameter, parameters.ToImmutable()));
            return;
        }
        if (shard.Layout != Layout.ShardLast || shard.Heads is not { } heads) return;
        foreach (var length in Lengths(invocation.Arguments[1].Value))
        {
            if (!IsGlobalHeadCount(length, heads)) continue;
            Record(new ReshapeEvent(invocation, Unwrap(invocation.Arguments[0].Value), shard, length, heads));
            return;
        }
    }

    /// <summary>The layer's global head count, as a constant or written as its OutputLayout writes it.</summary>
    private static bool IsGlobalHeadCount(IOperation length, HeadCount heads) =>
        (length.ConstantValue is { HasValue: true, Value: int value } && value == heads.Value)
        || (length is ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation && Operations.Text(length.Syntax) == heads.Text);

    /// <summary>
    /// A helper that reshapes the tensor it is given (<see cref="MethodSummary.Reshapes"/>), given a shard here: the
    /// arguments passed for its lengths are checked as if the reshape were written at the call; in a summary, a
    /// parameter passed on is passed on again.
    /// </summary>
    private void ReshapedInCallee(IInvocationOperation invocation, FlowValue[] arguments, MethodSummary summary)
    {
        foreach (var reshape in summary.Reshapes)
        {
            if (ArgumentFor(invocation, reshape.Source) is not { } source) continue;
            var shard = arguments[source];
            var lengths = reshape.LengthParameters.Select(p => ArgumentFor(invocation, p) is { } i ? Unwrap(invocation.Arguments[i].Value) : null).ToList();
            if (_summarizing && shard.Parameter >= 0)
            {
                var passed = lengths.OfType<IParameterReferenceOperation>().Where(p => SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, _method)).Select(p => p.Parameter.Ordinal).ToImmutableArray();
                if (!passed.IsEmpty) Record(new ParameterReshapeEvent(shard.Parameter, passed));
                continue;
            }
            if (!shard.IsLocalView || shard.Layout != Layout.ShardLast || shard.Heads is not { } heads) continue;
            if (lengths.FirstOrDefault(l => l is not null && IsGlobalHeadCount(l, heads)) is { } global)
                Record(new ReshapeEvent(invocation, Unwrap(invocation.Arguments[source].Value), shard, global, heads));
        }
    }

    /// <summary>The index of the argument passed for the callee's parameter <paramref name="ordinal"/> (named or not), or null.</summary>
    private static int? ArgumentFor(IInvocationOperation invocation, int ordinal)
    {
        for (int i = 0; i < invocation.Arguments.Length; i++)
        {
            if (invocation.Arguments[i].Parameter?.Ordinal == ordinal) return i;
        }
        return null;
    }

    /// <summary>The lengths a params span or array is given: <c>Reshape(t, a, b)</c>, <c>[a, b]</c>, <c>new nint[] { a, b }</c>.</summary>
    private static IEnumerable<IOperation> Lengths(IOperation argument)
    {
        var elements = Unwrap(argument) switch
        {
            IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues,
            ICollectionExpressionOperation collection => collection.Elements,
            var single => ImmutableArray.Create(single),
        };
        foreach (var element in elements) yield return Unwrap(element);
    }

    /// <summary>The events a called method's summary implies at this call, and the value it returns here.</summary>
    private FlowValue Called(IInvocationOperation invocation, FlowValue[] arguments, MethodSummary summary)
    {
        // A value that is one of the callee's parameters is the argument passed for it, never a parameter of this method.
        FlowValue returned = summary.Returns.Parameter >= 0 ? FlowValue.Unknown : summary.Returns;
        // So is a tuple element that is one (return (x, Down.Forward(x));).
        if (!returned.Elements.IsDefault)
            returned = FlowValue.Tuple(returned.Elements.Select(e => e.Parameter >= 0 && ArgumentFor(invocation, e.Parameter) is { } i ? arguments[i] : e.Parameter >= 0 ? FlowValue.Unknown : e).ToImmutableArray());
        for (int i = 0; i < arguments.Length; i++)
        {
            var argument = invocation.Arguments[i];
            if (argument.Parameter is not { } parameter || Unwrap(argument.Value) is not { } value) continue;
            if (Recording)
            {
                foreach (var consumer in summary.Feeds(parameter.Ordinal)) Record(new ConsumeEvent(value, arguments[i], consumer));
            }
            foreach (var added in summary.Adds(parameter.Ordinal)) AddedInCallee(invocation, arguments, value, arguments[i], summary.Name, added);
            foreach (var how in summary.Escapes(parameter.Ordinal)) Escape(value, arguments[i], how);
            if (summary.Returns.Parameter == parameter.Ordinal) returned = arguments[i];
        }
        if (!summary.Reshapes.IsEmpty) ReshapedInCallee(invocation, arguments, summary);
        return returned;
    }

    /// <summary>
    /// The callee adds something to this argument: a replica or a partial sum of its own, or another argument (a fused
    /// bias-dropout-add given the residual), followed to what that argument is here.
    /// </summary>
    private void AddedInCallee(IInvocationOperation invocation, FlowValue[] arguments, IOperation argument, FlowValue value, string callee, AddedValue added)
    {
        if (added.Parameter < 0)
        {
            Record(new CalleeAddEvent(argument, value, callee, added.Text, added.Origin, new FlowValue(added.Layout, added.Origin)));
            return;
        }
        if (ArgumentFor(invocation, added.Parameter) is not { } j) return;
        var other = arguments[j];
        if (other.IsKnown || other.Parameter >= 0)
            Record(new CalleeAddEvent(argument, value, callee, Operations.Text(Unwrap(invocation.Arguments[j].Value).Syntax), other.Origin ?? "", other, AddedIsArgument: true));
    }

    private FlowValue PropertyReference(IPropertyReferenceOperation property)
    {
        var instance = Eval(property.Instance);
        foreach (var argument in property.Arguments) Eval(argument.Value);
        if (property.Instance is { } receiver && _types.IsDTensor(property.Property.ContainingType) && property.Property.Name is "Local" or "LocalSpan")
        {
            Escape(Unwrap(receiver), instance, "'." + property.Property.Name + "'");
            if (property.Property.Name == "Local") return instance.AsLocalView();
        }
        if (SequenceApis.IsGatheredTokensValue(property.Property)) return instance;
        return FlowValue.Unknown;
    }

    private FlowValue Binary(IOperation operation, BinaryOperatorKind kind, IMethodSymbol? operatorMethod, IOperation left, FlowValue leftValue, IOperation right, FlowValue rightValue)
    {
        if (operatorMethod is not null && _types.IsDTensor(operatorMethod.ContainingType))
        {
            if (Recording) Record(new OperatorEvent(operation, kind, Unwrap(left), leftValue, Unwrap(right), rightValue));
            if (TokenShardOperands(leftValue, rightValue) is { } tokens) return tokens;
            if (kind == BinaryOperatorKind.Add && _summarizing && ResidualOfParameter(leftValue, rightValue) is { } residual) return residual;
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
                Formatted(Unwrap(left), leftValue, "the string concatenation");
                Formatted(Unwrap(right), rightValue, "the string concatenation");
                break;
        }
        return FlowValue.Unknown;
    }

    private void ForgetAssignedLocals(IOperation? root)
    {
        if (root is null || _state.IsEmpty) return;
        foreach (var node in root.DescendantsAndSelf())
        {
            if (node is ILocalReferenceOperation local && IsWritten(local)) _state.Forget(local.Local);
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
        // A summary also keeps where a parameter escapes: the caller decides whether what it passes is a partial sum.
        if (flowValue.IsPartial || (_summarizing && flowValue.Parameter >= 0)) Record(new EscapeEvent(value, flowValue, how));
    }

    // Printed, logged or made into text: a DTensor's text is its shape, placement and group (DTensor.ToString), the same
    // on every rank and no addend, so only what holds values escapes this way (a local tensor, an array, a number).
    private void Formatted(IOperation value, FlowValue flowValue, string how)
    {
        if (!_types.IsDTensor(Unwrap(value).Type)) Escape(value, flowValue, how);
    }

    /// <summary>
    /// The DTensor whose local values a group's AllReduce sums (<c>y.LocalSpan</c>, <c>y.Local</c> of a local y), with
    /// the value y holds here, when the sum is over the tensor-parallel group or y's own group and not an average.
    /// </summary>
    private (IOperation Tensor, FlowValue Value)? SummedLocals(IInvocationOperation invocation)
    {
        if (Calls.Argument(invocation, "buffer") is not { } buffer || Calls.Argument(invocation, "op") is { IsImplicit: false } op && !Calls.IsReduceOp(op, _types, 0)) return null;
        if (Unwrap(buffer.Value) is not IPropertyReferenceOperation { Property.Name: "LocalSpan" or "Local", Instance: { } receiver } local || !_types.IsDTensor(local.Property.ContainingType)) return null;
        if (Unwrap(receiver) is not ILocalReferenceOperation tensor) return null;
        bool ownGroup = Operations.Unwrap(invocation.Instance) is IPropertyReferenceOperation { Property.Name: "Group", Instance: { } owner } &&
            Unwrap(owner) is ILocalReferenceOperation same && SymbolEqualityComparer.Default.Equals(same.Local, tensor.Local);
        if (!ownGroup && _types.ClassifyGroup(invocation.Instance) != GroupRole.TensorParallel) return null;
        return (tensor, _state.Get(tensor.Local));
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
