using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// The walk's paths: each arm of an if, a ternary, a switch, a ?? or a try starts from the state before it, and the
/// states are joined where the arms meet; a jump (break, continue, return, throw) takes its state to where it lands.
/// A loop is walked again until the state at its head stops changing, since a value can turn partial only on the
/// second iteration (stacked blocks feeding each other), and only then once more with its events recorded.
/// </summary>
internal sealed partial class MethodFlow
{
    /// <summary>
    /// Passes over a loop before giving up on a fixed point. The join moves each local up at most twice (a layout, then
    /// Unknown, then partial), and each pass carries a value one assignment further, so real loop bodies settle in two or
    /// three; a loop that has not settled is walked with the locals it assigns forgotten instead.
    /// </summary>
    private const int MaxLoopPasses = 8;

    /// <summary>Loops nested deeper than this are walked once, their assigned locals forgotten, so that the cost stays linear.</summary>
    private const int MaxLoopNesting = 3;

    private readonly Dictionary<ILabelSymbol, List<FlowState>> _jumps = new(SymbolEqualityComparer.Default);
    private int _quiet;
    private int _loopNesting;

    private FlowValue Conditional(IConditionalOperation conditional)
    {
        Eval(conditional.Condition);
        var before = _state;
        _state = before.Clone();
        var whenTrue = Eval(conditional.WhenTrue);
        var afterTrue = _state;
        _state = before.Clone();
        var whenFalse = Eval(conditional.WhenFalse);
        var afterFalse = _state;
        bool? singleRankWhen = SingleRankWhen(conditional.Condition);
        _state = singleRankWhen switch
        {
            true => FlowState.JoinOverSingleRank(afterFalse, afterTrue),
            false => FlowState.JoinOverSingleRank(afterTrue, afterFalse),
            _ => FlowState.Join(afterTrue, afterFalse),
        };
        if (conditional.WhenFalse is null) return FlowValue.Unknown;
        // An arm that throws gives no value: the ternary's value is the other arm's.
        if (!afterTrue.Reachable) return whenFalse;
        if (!afterFalse.Reachable) return whenTrue;
        return singleRankWhen switch
        {
            true => FlowValue.JoinOverSingleRank(whenFalse, whenTrue),
            false => FlowValue.JoinOverSingleRank(whenTrue, whenFalse),
            _ => FlowValue.Join(whenTrue, whenFalse),
        };
    }

    /// <summary>
    /// For a test of a group's size against one rank (<c>tp.Size &gt; 1</c>, <c>x.Group.Size == 1</c>): whether the
    /// single-rank case is where the condition holds (true) or where it does not (false); null for any other condition.
    /// </summary>
    private bool? SingleRankWhen(IOperation? condition)
    {
        if (Operations.Unwrap(condition) is not IBinaryOperation { LeftOperand: var left, RightOperand: var right } comparison) return null;
        if (Operations.Unwrap(left) is not IPropertyReferenceOperation size || !_types.IsGroupProperty(size.Property, "Size")) return null;
        if (right.ConstantValue is not { HasValue: true, Value: int bound }) return null;
        return (comparison.OperatorKind, bound) switch
        {
            (BinaryOperatorKind.Equals, 1) or (BinaryOperatorKind.LessThanOrEqual, 1) or (BinaryOperatorKind.LessThan, 2) => true,
            (BinaryOperatorKind.NotEquals, 1) or (BinaryOperatorKind.GreaterThan, 1) or (BinaryOperatorKind.GreaterThanOrEqual, 2) => false,
            _ => null,
        };
    }

    /// <summary><c>a ?? b</c>: either operand may be the value.</summary>
    private FlowValue Coalesce(ICoalesceOperation coalesce)
    {
        var value = Eval(coalesce.Value);
        var afterValue = _state;
        _state = afterValue.Clone();
        var whenNull = Eval(coalesce.WhenNull);
        bool whenNullReached = _state.Reachable;
        _state = FlowState.Join(afterValue, _state);
        return whenNullReached ? FlowValue.Join(value, whenNull) : value;
    }

    private void Loop(ILoopOperation loop)
    {
        // What runs once before the first iteration.
        switch (loop)
        {
            case IForLoopOperation @for:
                foreach (var before in @for.Before) Eval(before);
                break;
            case IForEachLoopOperation forEach:
                Eval(forEach.Collection);
                break;
        }

        if (_loopNesting >= MaxLoopNesting)
        {
            ForgetAssignedLocals(loop);
            var before = _state;
            _state = before.Clone();
            Iteration(loop);
            _state = before;
            ForgetAssignedLocals(loop);
            return;
        }

        _loopNesting++;
        var entry = _state;
        var head = entry.Clone();
        bool settled = false;
        _quiet++;
        try
        {
            for (int pass = 0; pass < MaxLoopPasses && !settled; pass++)
            {
                _state = head.Clone();
                var (backEdge, _) = Iteration(loop);
                var next = FlowState.Join(entry, backEdge);
                settled = next.SameAs(head);
                head = next;
            }
        }
        finally
        {
            _quiet--;
        }
        if (!settled)
        {
            // A head that is not a fixed point could miss a value some iteration gives: say nothing about those locals.
            _state = entry.Clone();
            ForgetAssignedLocals(loop);
            head = _state;
        }

        // The recorded pass starts from the fixed point, so that every value a local takes on any iteration is seen.
        _state = head.Clone();
        var (finalBackEdge, breaks) = Iteration(loop);
        _loopNesting--;
        // A loop whose body surely runs leaves with what an iteration made; one that may not run, also with what it found.
        // while (true) leaves only by its breaks.
        var exit = loop is IWhileLoopOperation { Condition.ConstantValue: { HasValue: true, Value: true } } or IForLoopOperation { Condition: null } ? FlowState.Unreachable()
            : RunsAtLeastOnce(loop) ? finalBackEdge
            : head;
        _state = FlowState.Join(exit, FlowState.Join(breaks));
    }

    /// <summary>One iteration from the current state: the state at its end (with the continues) and the states that break out.</summary>
    private (FlowState BackEdge, List<FlowState> Breaks) Iteration(ILoopOperation loop)
    {
        var continues = Listen(loop.ContinueLabel);
        var breaks = Listen(loop.ExitLabel);
        switch (loop)
        {
            case IWhileLoopOperation { ConditionIsTop: true } whileLoop:
                Eval(whileLoop.Condition);
                Eval(whileLoop.Body);
                break;
            case IWhileLoopOperation doWhile:
                Eval(doWhile.Body);
                _state = FlowState.Join(_state, FlowState.Join(continues));
                continues.Clear();
                Eval(doWhile.Condition);
                break;
            case IForLoopOperation @for:
                Eval(@for.Condition);
                Eval(@for.Body);
                _state = FlowState.Join(_state, FlowState.Join(continues));
                continues.Clear();
                foreach (var step in @for.AtLoopBottom) Eval(step);
                break;
            case IForEachLoopOperation forEach:
                ForgetAssignedLocals(forEach.LoopControlVariable);
                if (forEach.LoopControlVariable is IVariableDeclaratorOperation declarator) _state.Forget(declarator.Symbol);
                Eval(forEach.Body);
                break;
            default:
                foreach (var child in loop.ChildOperations) Eval(child);
                break;
        }
        var backEdge = FlowState.Join(_state, FlowState.Join(continues));
        Unlisten(loop.ContinueLabel);
        Unlisten(loop.ExitLabel);
        return (backEdge, breaks);
    }

    /// <summary>
    /// A do-while, or a <c>for (int i = 0; i &lt; 2; i++)</c> whose condition holds for its initial constants: the path
    /// that skips the body does not exist.
    /// </summary>
    private static bool RunsAtLeastOnce(ILoopOperation loop)
    {
        if (loop is IWhileLoopOperation { ConditionIsTop: false }) return true;
        if (loop is not IForLoopOperation { Condition: IBinaryOperation { LeftOperand: ILocalReferenceOperation counter, RightOperand: var bound } condition } @for) return false;
        if (bound.ConstantValue is not { HasValue: true, Value: int limit }) return false;
        int? start = null;
        foreach (var before in @for.Before)
        {
            foreach (var node in before.DescendantsAndSelf())
            {
                if (node is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, counter.Local)
                    && declarator.Initializer?.Value.ConstantValue is { HasValue: true, Value: int initial })
                    start = initial;
            }
        }
        if (start is not { } first) return false;
        return condition.OperatorKind switch
        {
            BinaryOperatorKind.LessThan => first < limit,
            BinaryOperatorKind.LessThanOrEqual => first <= limit,
            BinaryOperatorKind.GreaterThan => first > limit,
            BinaryOperatorKind.GreaterThanOrEqual => first >= limit,
            BinaryOperatorKind.NotEquals => first != limit,
            _ => false,
        };
    }

    private void Switch(ISwitchOperation @switch)
    {
        Eval(@switch.Value);
        var entry = _state;
        var breaks = Listen(@switch.ExitLabel);
        var ends = new List<FlowState>();
        bool hasDefault = false;
        foreach (var section in @switch.Cases)
        {
            _state = entry.Clone();
            foreach (var clause in section.Clauses)
            {
                if (clause.CaseKind == CaseKind.Default) hasDefault = true;
                Eval(clause);
            }
            foreach (var statement in section.Body) Eval(statement);
            ends.Add(_state);
        }
        Unlisten(@switch.ExitLabel);
        // Without a default, a value no case matches skips every section.
        if (!hasDefault) ends.Add(entry);
        ends.AddRange(breaks);
        _state = FlowState.Join(ends);
    }

    private FlowValue SwitchExpression(ISwitchExpressionOperation @switch)
    {
        Eval(@switch.Value);
        var entry = _state;
        var ends = new List<FlowState>();
        FlowValue value = FlowValue.Unknown;
        bool any = false;
        foreach (var arm in @switch.Arms)
        {
            _state = entry.Clone();
            Eval(arm.Pattern);
            Eval(arm.Guard);
            var armValue = Eval(arm.Value);
            ends.Add(_state);
            if (!_state.Reachable) continue;
            value = any ? FlowValue.Join(value, armValue) : armValue;
            any = true;
        }
        _state = ends.Count == 0 ? entry : FlowState.Join(ends);
        return any ? value : FlowValue.Unknown;
    }

    private void Try(ITryOperation @try)
    {
        var entry = _state;
        _state = entry.Clone();
        Eval(@try.Body);
        var afterBody = _state;
        // A catch may start anywhere in the body: from the state before it or after it (the states between are joined
        // into these two often enough; an assignment in the middle of a try and a catch reading it are rare).
        var catchEntry = FlowState.Join(entry, afterBody);
        var ends = new List<FlowState> { afterBody };
        foreach (var @catch in @try.Catches)
        {
            _state = catchEntry.Clone();
            Eval(@catch.ExceptionDeclarationOrExpression);
            Eval(@catch.Filter);
            Eval(@catch.Handler);
            ends.Add(_state);
        }
        _state = FlowState.Join(ends);
        if (@try.Finally is { } @finally)
        {
            bool reachable = _state.Reachable;
            // The finally also runs on the way out of a return or a throw.
            _state = FlowState.Join(_state, catchEntry);
            Eval(@finally);
            if (!reachable) _state.MarkUnreachable();
        }
    }

    private void Jump(IBranchOperation branch)
    {
        if (branch.Target is { } target && _jumps.TryGetValue(target, out var states) && _state.Reachable) states.Add(_state.Clone());
        _state.MarkUnreachable();
    }

    private List<FlowState> Listen(ILabelSymbol? label)
    {
        var states = new List<FlowState>();
        if (label is not null) _jumps[label] = states;
        return states;
    }

    private void Unlisten(ILabelSymbol? label)
    {
        if (label is not null) _jumps.Remove(label);
    }

    /// <summary>A lambda or local function runs at another time: walk it with nothing known, then forget what it assigns.</summary>
    private void NestedFunction(IOperation function)
    {
        var outer = _state;
        _state = new FlowState();
        _nestedFunctions++;
        try
        {
            foreach (var child in function.ChildOperations) Eval(child);
        }
        finally
        {
            _nestedFunctions--;
            _state = outer;
        }
        ForgetAssignedLocals(function);
    }
}
