namespace TpCodegen.Collectives.InProcess;

/// <summary>
/// One member's place in one group's rendezvous. A rank that goes to sleep in a releasable phase publishes its slot
/// (with the phase's generation), so that the <see cref="DeadlockDetector"/> can see what every rank waits in.
/// Allocated once per member, so publishing allocates nothing.
/// </summary>
internal sealed class WaitSlot(Rendezvous owner, int member)
{
    private int _generation;

    public Rendezvous Owner { get; } = owner;

    public int Member { get; } = member;

    public int Generation
    {
        get => Volatile.Read(ref _generation);
        set => Volatile.Write(ref _generation, value);
    }
}
