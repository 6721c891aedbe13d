using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// What the walk over a method body saw, in execution order. Each rule reads the events it cares about;
/// the walk itself reports nothing.
/// </summary>
internal abstract class FlowEvent
{
}

/// <summary>A DTensor value passed to a layer, a contract method, an activation or a norm.</summary>
internal sealed class ConsumeEvent : FlowEvent
{
    public ConsumeEvent(IOperation argument, FlowValue value, Consumer consumer)
    {
        Argument = argument;
        Value = value;
        Consumer = consumer;
    }

    /// <summary>The argument expression, implicit conversions removed.</summary>
    public IOperation Argument { get; }

    public FlowValue Value { get; }

    public Consumer Consumer { get; }
}

/// <summary>A DTensor operator (<c>+</c> or <c>*</c>), also in compound form.</summary>
internal sealed class OperatorEvent : FlowEvent
{
    public OperatorEvent(IOperation operation, BinaryOperatorKind kind, IOperation left, FlowValue leftValue, IOperation right, FlowValue rightValue)
    {
        Operation = operation;
        Kind = kind;
        Left = left;
        LeftValue = leftValue;
        Right = right;
        RightValue = rightValue;
    }

    public IOperation Operation { get; }

    public BinaryOperatorKind Kind { get; }

    public IOperation Left { get; }

    public FlowValue LeftValue { get; }

    public IOperation Right { get; }

    public FlowValue RightValue { get; }
}

/// <summary>A value returned from the module's Forward (a method named Forward that returns DTensor).</summary>
internal sealed class ReturnEvent : FlowEvent
{
    public ReturnEvent(IOperation returned, FlowValue value, IMethodSymbol method, Layout declared)
    {
        Returned = returned;
        Value = value;
        Method = method;
        Declared = declared;
    }

    public IOperation Returned { get; }

    public FlowValue Value { get; }

    public IMethodSymbol Method { get; }

    /// <summary>The output its [PlacementContract] declares, or Unknown without one.</summary>
    public Layout Declared { get; }
}

/// <summary><c>x.Redistribute(target)</c>.</summary>
internal sealed class RedistributeEvent : FlowEvent
{
    public RedistributeEvent(IInvocationOperation invocation, IOperation source, FlowValue sourceValue, Layout target)
    {
        Invocation = invocation;
        Source = source;
        SourceValue = sourceValue;
        Target = target;
    }

    public IInvocationOperation Invocation { get; }

    public IOperation Source { get; }

    public FlowValue SourceValue { get; }

    public Layout Target { get; }
}

/// <summary>A DTensor value read, printed or compared: where a partial sum must not go.</summary>
internal sealed class EscapeEvent : FlowEvent
{
    public EscapeEvent(IOperation value, FlowValue flowValue, string how)
    {
        Value = value;
        FlowValue = flowValue;
        How = how;
    }

    public IOperation Value { get; }

    public FlowValue FlowValue { get; }

    /// <summary>For messages: "'.ToTensor()'", "Console.WriteLine", "the string interpolation", "'=='".</summary>
    public string How { get; }
}
