using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;

namespace TpCodegen.Analyzers.Flow;

/// <summary>
/// A value a method adds to one of its parameters: a replicated value or a partial sum of its own (its text and origin
/// as written there, and <paramref name="Layout"/>), or another of its parameters (<paramref name="Parameter"/>), whatever
/// the caller's argument is.
/// </summary>
internal sealed record AddedValue(string Text, string Origin, int Parameter = -1, Layout Layout = Layout.Replicate);

/// <summary>
/// What a method of the compilation does with the DTensors it is given and what it returns, read once from its body
/// with each parameter standing for "whatever the caller passes": the consumers each parameter reaches unchanged,
/// the replicated values added to it, and the value returned (a known placement, or one of the parameters).
/// </summary>
internal sealed class MethodSummary
{
    private readonly ImmutableDictionary<int, ImmutableArray<Consumer>> _feeds;
    private readonly ImmutableDictionary<int, ImmutableArray<AddedValue>> _adds;
    private readonly ImmutableDictionary<int, ImmutableArray<string>> _escapes;

    private MethodSummary(
        string name,
        FlowValue returns,
        ImmutableDictionary<int, ImmutableArray<Consumer>> feeds,
        ImmutableDictionary<int, ImmutableArray<AddedValue>> adds,
        ImmutableDictionary<int, ImmutableArray<string>> escapes,
        ImmutableArray<ParameterReshapeEvent> reshapes)
    {
        Name = name;
        Returns = returns;
        _feeds = feeds;
        _adds = adds;
        _escapes = escapes;
        Reshapes = reshapes;
    }

    /// <summary>The local tensors it is given that it reshapes, with the parameters among the lengths (for TP0020).</summary>
    public ImmutableArray<ParameterReshapeEvent> Reshapes { get; }

    /// <summary>"Block.FeedGate": how messages name the method.</summary>
    public string Name { get; }

    /// <summary>A known placement (its origin says which method returned it), a parameter (<see cref="FlowValue.Parameter"/>), or Unknown.</summary>
    public FlowValue Returns { get; }

    public ImmutableArray<Consumer> Feeds(int ordinal) => _feeds.TryGetValue(ordinal, out var feeds) ? feeds : ImmutableArray<Consumer>.Empty;

    public ImmutableArray<AddedValue> Adds(int ordinal) => _adds.TryGetValue(ordinal, out var adds) ? adds : ImmutableArray<AddedValue>.Empty;

    /// <summary>How the method reads, prints or compares a parameter ("Console.WriteLine in 'Block.Log'"), for TP0009.</summary>
    public ImmutableArray<string> Escapes(int ordinal) => _escapes.TryGetValue(ordinal, out var escapes) ? escapes : ImmutableArray<string>.Empty;

    public static MethodSummary From(IMethodSymbol method, ImmutableArray<FlowEvent> events, FlowValue returned)
    {
        string name = method.ContainingType.Name + "." + method.Name;
        var feeds = new Dictionary<int, List<Consumer>>();
        var adds = new Dictionary<int, List<AddedValue>>();
        var escapes = new Dictionary<int, List<string>>();
        var reshapes = ImmutableArray.CreateBuilder<ParameterReshapeEvent>();
        foreach (var e in events)
        {
            switch (e)
            {
                case ParameterReshapeEvent reshape:
                    reshapes.Add(reshape);
                    break;
                case ConsumeEvent { Value.Parameter: >= 0 } consume:
                    Add(feeds, consume.Value.Parameter, consume.Consumer.Via(name));
                    break;
                case OperatorEvent { Kind: BinaryOperatorKind.Multiply } product:
                    var productConsumer = new Consumer(ConsumerKind.Product, "the product '*'", Layout.Unknown).Via(name);
                    if (product.LeftValue.Parameter >= 0) Add(feeds, product.LeftValue.Parameter, productConsumer);
                    if (product.RightValue.Parameter >= 0) Add(feeds, product.RightValue.Parameter, productConsumer);
                    break;
                case OperatorEvent { Kind: BinaryOperatorKind.Add } sum:
                    if (sum.LeftValue.Parameter >= 0 && Added(sum.Right, sum.RightValue) is { } right) Add(adds, sum.LeftValue.Parameter, right);
                    if (sum.RightValue.Parameter >= 0 && Added(sum.Left, sum.LeftValue) is { } left) Add(adds, sum.RightValue.Parameter, left);
                    break;
                case EscapeEvent { FlowValue.Parameter: >= 0 } escape:
                    // Through several calls the innermost says where it escapes.
                    Add(escapes, escape.FlowValue.Parameter, escape.How.Contains(" in '") ? escape.How : escape.How + " in '" + name + "'");
                    break;
                case CalleeAddEvent { Value.Parameter: >= 0 } inner:
                    Add(adds, inner.Value.Parameter, new AddedValue(inner.Added, inner.AddedOrigin, inner.AddedValue.Parameter, inner.AddedValue.IsKnown ? inner.AddedValue.Layout : Layout.Replicate));
                    break;
            }
        }
        var returns = returned.WithOriginSuffix(", returned by '" + name + "'");
        return new MethodSummary(
            name,
            returns,
            feeds.ToImmutableDictionary(p => p.Key, p => Polymorphic(p.Value)),
            adds.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableArray()),
            escapes.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableArray()),
            reshapes.ToImmutable());
    }

    /// <summary>What a parameter is added to, when it says something at the call: a replica, a partial sum, or another parameter.</summary>
    private static AddedValue? Added(IOperation operand, FlowValue value) =>
        value.IsKnown && value.Layout == Layout.Replicate ? new AddedValue(Operations.Text(operand.Syntax), value.Origin)
        : value.IsPartial ? new AddedValue(Operations.Text(operand.Syntax), value.Origin, Layout: Layout.PartialSum)
        : value.Parameter >= 0 ? new AddedValue(Operations.Text(operand.Syntax), "", value.Parameter)
        : null;

    private static void Add<T>(Dictionary<int, List<T>> map, int ordinal, T item)
    {
        if (!map.TryGetValue(ordinal, out var list)) map[ordinal] = list = new List<T>();
        if (!list.Contains(item)) list.Add(item);
    }

    /// <summary>
    /// A parameter that reaches both a consumer of a replica and one of a shard (on different paths, chosen by another
    /// argument) takes either: only that it must not be a partial sum is kept.
    /// </summary>
    private static ImmutableArray<Consumer> Polymorphic(List<Consumer> consumers)
    {
        bool replica = consumers.Any(c => c.Required == Layout.Replicate);
        bool shard = consumers.Any(c => c.Required == Layout.ShardLast);
        if (!replica || !shard) return consumers.ToImmutableArray();
        return consumers.Select(c => c.Required is Layout.Replicate or Layout.ShardLast ? c with { Required = Layout.Unknown } : c).ToImmutableArray();
    }
}
