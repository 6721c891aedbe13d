using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// What the walk over a method body saw, in execution order. Each rule reads the events it cares about;
/// the walk itself reports nothing.
/// </summary>
internal abstract record FlowEvent;

/// <summary>A DTensor value passed to a layer, a contract method, an activation or a norm.</summary>
/// <param name="Argument">The argument expression, conversions removed.</param>
internal sealed record ConsumeEvent(IOperation Argument, FlowValue Value, Consumer Consumer) : FlowEvent;

/// <summary>A DTensor operator (<c>+</c> or <c>*</c>), also in compound form.</summary>
internal sealed record OperatorEvent(IOperation Operation, BinaryOperatorKind Kind, IOperation Left, FlowValue LeftValue, IOperation Right, FlowValue RightValue) : FlowEvent;

/// <summary>A value returned from the module's Forward (a method named Forward that returns DTensor).</summary>
/// <param name="Declared">The output its [PlacementContract] declares, or Unknown without one.</param>
internal sealed record ReturnEvent(IOperation Returned, FlowValue Value, IMethodSymbol Method, Layout Declared) : FlowEvent;

/// <summary><c>x.Redistribute(target)</c>.</summary>
internal sealed record RedistributeEvent(IInvocationOperation Invocation, IOperation Source, FlowValue SourceValue, Layout Target) : FlowEvent;

/// <summary>A DTensor value read, printed or compared: where a partial sum must not go.</summary>
/// <param name="How">For messages: "'.ToTensor()'", "Console.WriteLine", "the string interpolation", "'=='".</param>
internal sealed record EscapeEvent(IOperation Value, FlowValue FlowValue, string How) : FlowEvent;

/// <summary>
/// A DTensor argument that the called method (in this compilation) adds to a replicated value: what a helper's
/// summary says (<see cref="MethodSummary.Adds"/>), at the call.
/// </summary>
/// <param name="Added">The operand it is added to, as written in the callee or at the call, and its origin.</param>
/// <param name="AddedValue">That operand's value (a parameter of the method being summarised, when it is one).</param>
/// <param name="AddedIsArgument">Whether the operand is another argument of the same call (each side then has its own event).</param>
internal sealed record CalleeAddEvent(IOperation Argument, FlowValue Value, string Callee, string Added, string AddedOrigin, FlowValue AddedValue, bool AddedIsArgument = false) : FlowEvent;

/// <summary><c>Tensor.Reshape(q.Local, ..., heads, ...)</c> where q is a shard of a layer with <paramref name="Heads"/> heads in all.</summary>
/// <param name="Length">The length that is the global head count.</param>
internal sealed record ReshapeEvent(IInvocationOperation Invocation, IOperation Source, FlowValue SourceValue, IOperation Length, HeadCount Heads) : FlowEvent;

/// <summary>
/// In a helper's summary walk: parameter <paramref name="Source"/> (a rank's local tensor, whatever the caller passes)
/// reshaped with lengths of which <paramref name="LengthParameters"/> are the helper's parameters, by ordinal
/// (<c>Tensor&lt;float&gt; SplitHeads(Tensor&lt;float&gt; t, int tokens, int heads) =&gt; Tensor.Reshape(t, [tokens, heads, Dim])</c>).
/// </summary>
internal sealed record ParameterReshapeEvent(int Source, ImmutableArray<int> LengthParameters) : FlowEvent;

/// <summary>
/// A DTensor summed over a group: <c>Ops.AllReduce(x)</c>, or a group's sum of its local values
/// (<c>tp.AllReduce(x.LocalSpan)</c> on the tensor-parallel group or on <c>x.Group</c>).
/// </summary>
/// <param name="Reduction">For messages: "Ops.AllReduce", "'tp.AllReduce'".</param>
internal sealed record ReduceEvent(IOperation Reduced, FlowValue Value, string Reduction) : FlowEvent;
