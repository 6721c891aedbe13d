using TpCodegen.Collectives;

namespace TpCodegen.Tests.Collectives;

/// <summary>Which group a chaos step runs on: the world, or this rank's group of one of two splits.</summary>
internal enum ChaosGroup { World, SplitA, SplitB }

/// <summary>What a step does to the ranks: nothing, one rank calls something else (same group), or a cross-group deadlock.</summary>
internal enum ChaosFault { None, Mismatch, Deadlock }

/// <summary>How the run ends early, if it does: one rank throws, or one rank returns, at <see cref="ChaosPlan.EndStep"/>.</summary>
internal enum ChaosEnd { None, Throw, Return }

/// <summary>One collective every rank of the chosen groups calls; <see cref="Length"/> is per rank (the block for AllGather and ReduceScatter).</summary>
internal readonly record struct ChaosCall(ChaosGroup Group, CollectiveKind Kind, int Length, ReduceOp Op, int RootSeed);

/// <summary>One step: the correct call, the injected fault and its victim.</summary>
internal readonly record struct ChaosStep(ChaosCall Call, ChaosFault Fault, int Victim);

/// <summary>
/// A random but seeded sequence of collectives for a random world of 2 to 8 ranks with two splits, faults injected
/// into some steps, and maybe an early end. Every rank builds the same plan from the seed, as a real program's ranks
/// share its code.
/// </summary>
/// <param name="ModulusA">Split A: color = rank % ModulusA (interleaved groups, like data parallelism).</param>
/// <param name="DivisorB">Split B: color = rank / DivisorB (consecutive groups, like tensor parallelism).</param>
internal sealed record ChaosPlan(
    int Seed, int Size, int ModulusA, int DivisorB, IReadOnlyList<ChaosStep> Steps, ChaosEnd End, int EndStep, int EndVictim)
{
    private static readonly CollectiveKind[] Kinds =
        [CollectiveKind.AllReduce, CollectiveKind.AllGather, CollectiveKind.ReduceScatter, CollectiveKind.Broadcast, CollectiveKind.Barrier];
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Average, ReduceOp.Max, ReduceOp.Min];

    public int Color(ChaosGroup group, int rank) => group switch
    {
        ChaosGroup.World => 0,
        ChaosGroup.SplitA => rank % ModulusA,
        _ => rank / DivisorB,
    };

    /// <summary>The world ranks of <paramref name="rank"/>'s group, in group-rank order (Split keys are world ranks).</summary>
    public int[] Members(ChaosGroup group, int rank) =>
        Enumerable.Range(0, Size).Where(r => Color(group, r) == Color(group, rank)).ToArray();

    public static ChaosPlan Create(int seed)
    {
        var random = new Random(seed);
        int size = random.Next(2, 9);
        int modulusA = random.Next(1, size + 1);
        int divisorB = random.Next(1, size + 1);
        var plan = new ChaosPlan(seed, size, modulusA, divisorB, [], ChaosEnd.None, 0, 0);

        var steps = new ChaosStep[random.Next(6, 25)];
        for (int s = 0; s < steps.Length; s++)
        {
            var call = new ChaosCall(
                (ChaosGroup)random.Next(3), Kinds[random.Next(Kinds.Length)],
                // Mostly small, sometimes tens of thousands of floats (several reduce blocks), sometimes empty.
                (int)(Math.Pow(random.NextDouble(), 4) * 20_000),
                Ops[random.Next(Ops.Length)], random.Next(1000));
            var fault = random.Next(10) switch { 0 or 1 => ChaosFault.Mismatch, 2 => ChaosFault.Deadlock, _ => ChaosFault.None };
            int victim = random.Next(size);
            // A fault needs a partner in the victim's group: a group of one cannot disagree or wait.
            if (fault == ChaosFault.Mismatch && plan.Members(call.Group, victim).Length < 2) fault = ChaosFault.None;
            if (fault == ChaosFault.Deadlock && plan.Members(DeadlockGroupOf(call), victim).Length < 2) fault = ChaosFault.None;
            steps[s] = new ChaosStep(call, fault, victim);
        }

        var end = random.Next(3) switch { 0 => ChaosEnd.Throw, 1 => ChaosEnd.Return, _ => ChaosEnd.None };
        return new ChaosPlan(seed, size, modulusA, divisorB, steps, end, random.Next(steps.Length), random.Next(size));
    }

    /// <summary>In a deadlock step the victim calls an all-reduce on a split while every other rank calls one on the world.</summary>
    public static ChaosGroup DeadlockGroupOf(ChaosCall call) => call.Group == ChaosGroup.SplitB ? ChaosGroup.SplitB : ChaosGroup.SplitA;

    /// <summary>The call <paramref name="rank"/> makes in the faulty attempt of step <paramref name="step"/>.</summary>
    public ChaosCall FaultyCall(ChaosStep step, int rank) => step.Fault switch
    {
        ChaosFault.Mismatch when rank == step.Victim => step.Call.Kind == CollectiveKind.Barrier
            ? step.Call with { Kind = CollectiveKind.AllReduce, Length = step.Call.Length + 1 }
            // Same group, one float more, or a barrier instead: both must be caught before any data moves.
            : step.Call.Length % 2 == 0 ? step.Call with { Length = step.Call.Length + 1 } : step.Call with { Kind = CollectiveKind.Barrier },
        ChaosFault.Deadlock => new ChaosCall(rank == step.Victim ? DeadlockGroupOf(step.Call) : ChaosGroup.World,
            CollectiveKind.AllReduce, step.Call.Length + 1, ReduceOp.Sum, 0),
        _ => step.Call,
    };

    /// <summary>True if <paramref name="rank"/>'s faulty attempt must fail with the step's fault.</summary>
    public bool FaultHits(ChaosStep step, int rank) => step.Fault switch
    {
        ChaosFault.Mismatch => Members(step.Call.Group, rank).Contains(step.Victim),
        ChaosFault.Deadlock => true,
        _ => false,
    };

    /// <summary>True if some rank other than the early-ending one needs it at or after the step where it ends.</summary>
    public bool EndIsNoticed()
    {
        for (int s = EndStep; s < Steps.Count; s++)
        {
            var step = Steps[s];
            if (step.Fault == ChaosFault.Deadlock) return true; // the world is in every deadlock step
            if (Members(step.Call.Group, EndVictim).Length > 1) return true;
        }
        return false;
    }

    public override string ToString() =>
        $"seed {Seed}: {Size} ranks, split A rank % {ModulusA}, split B rank / {DivisorB}, end {End} at step {EndStep} by rank {EndVictim}; steps: " +
        string.Join("; ", Steps.Select((s, i) => $"{i}: {s.Call.Group} {s.Call.Kind}({s.Call.Length}, {s.Call.Op}) {s.Fault} v{s.Victim}"));
}
