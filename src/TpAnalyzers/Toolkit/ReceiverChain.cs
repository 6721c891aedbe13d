using Microsoft.CodeAnalysis;

namespace TpCodegen.Analyzers.Toolkit;

/// <summary>
/// The links of a receiver chain (<see cref="Operations.Chain"/>), walked by <c>foreach</c> without an enumerator
/// object: the data-split and buffer rules ask for a chain at every invocation and element access of every body.
/// Each link is found when the walk reaches it, so a walk that stops early reads no further.
/// </summary>
internal struct ReceiverChain
{
    private readonly IOperation? _first;
    private int _locals;
    private bool _started;

    public ReceiverChain(IOperation? first)
    {
        _first = first;
        _locals = 0;
        _started = false;
        Current = null!;
    }

    public IOperation Current { get; private set; }

    public ReceiverChain GetEnumerator() => this;

    public bool MoveNext()
    {
        var next = _started ? Operations.Unwrap(Operations.NextInChain(Current, ref _locals)) : _first;
        _started = true;
        if (next is null) return false;
        Current = next;
        return true;
    }
}
