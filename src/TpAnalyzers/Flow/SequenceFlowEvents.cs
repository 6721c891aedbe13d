using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// <c>DTensor.FromLocal(x.Local, placement, group)</c>: the block of a value whose placement the walk knows
/// (<paramref name="LocalValue"/>, a local view) wrapped under the placement <paramref name="Declared"/>, without a move.
/// </summary>
internal sealed record RelabelEvent(IInvocationOperation Invocation, IOperation Local, FlowValue LocalValue, Layout Declared) : FlowEvent;
