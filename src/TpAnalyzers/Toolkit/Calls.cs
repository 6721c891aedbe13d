using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>Reading calls the way the messages name them.</summary>
internal static class Calls
{
    /// <summary>The argument bound to <paramref name="parameter"/>, or null (also for broken calls).</summary>
    public static IArgumentOperation? Argument(IInvocationOperation invocation, string parameter)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == parameter) return argument;
        }
        return null;
    }

    /// <summary>The argument written for <paramref name="parameter"/> when it is an int constant (<c>new LlamaMlp(4096, 11008)</c>), or null.</summary>
    public static IArgumentOperation? ConstantArgument(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, IParameterSymbol parameter)
    {
        foreach (var argument in arguments)
        {
            if (SymbolEqualityComparer.Default.Equals(argument.Parameter, parameter) && argument.ArgumentKind == ArgumentKind.Explicit &&
                argument.Value.ConstantValue is { HasValue: true, Value: int }) return argument;
        }
        return null;
    }

    /// <summary>"'tp.AllReduce'": the called expression as written, quoted.</summary>
    public static string Name(IInvocationOperation invocation) =>
        "'" + (invocation.Syntax is InvocationExpressionSyntax call ? Operations.Text(call.Expression) : invocation.TargetMethod.Name) + "'";

    /// <summary>True when an argument is written out as the constant <c>ReduceOp.&lt;member&gt;</c> (not left to its default).</summary>
    public static bool IsReduceOp(IArgumentOperation? argument, KnownTypes types, int member) =>
        argument is not null &&
        argument.ArgumentKind != ArgumentKind.DefaultValue &&
        types.ReduceOp is not null &&
        SymbolEqualityComparer.Default.Equals(argument.Value.Type, types.ReduceOp) &&
        argument.Value.ConstantValue is { HasValue: true, Value: int value } &&
        value == member;
}
