using System.Collections.Concurrent;
using System.Diagnostics;
using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;
using Xunit.Abstractions;

namespace TpCodegen.Tests.Collectives;

/// <summary>
/// Seeded chaos over the in-process backend: random worlds of 2 to 8 ranks run random collectives (every kind, sizes
/// from 0 to 20,000 floats, on the world and on two splits) while faults are injected: a rank calling another size or
/// kind, a cross-group deadlock, both retried after the caught error, and a rank that throws or returns early. Every
/// rank must get the exact result of every collective it completes, or an error, and every run must end in time.
/// </summary>
public class InProcessChaosTests(ITestOutputHelper output)
{
    private const int Scenarios = 1500;
    // Generous: a run takes milliseconds; only a hang comes near it.
    private static readonly TimeSpan ScenarioBound = TimeSpan.FromSeconds(15);

    [Fact]
    public void Random_collectives_with_injected_faults_give_exact_results_or_an_error_on_every_rank_and_never_hang()
    {
        var seeds = new Random(20261202);
        int rounds = 0, steps = 0, faults = 0, endings = 0;
        var clock = Stopwatch.StartNew();
        for (int scenario = 0; scenario < Scenarios; scenario++)
        {
            var plan = ChaosPlan.Create(seeds.Next());
            var outcome = RunBounded(plan);
            Assert.True(outcome.Violations.IsEmpty, $"{plan}\n{string.Join("\n", outcome.Violations)}");
            CheckEnding(plan, outcome.Error);
            rounds += outcome.Rounds;
            steps += plan.Steps.Count;
            faults += plan.Steps.Count(s => s.Fault != ChaosFault.None);
            if (plan.End != ChaosEnd.None) endings++;
        }
        string mix = $"{Scenarios} runs, {steps} planned steps, {rounds} collectives completed by ranks, {faults} injected faults, {endings} early endings, {clock.Elapsed.TotalSeconds:0.0} s";
        output.WriteLine(mix);
        // The mix the seed produced: enough of each to mean something (thousands of steps, hundreds of faults).
        Assert.True(steps > 10_000 && faults > 1_000 && endings > 500, mix);
    }

    private sealed record Outcome(Exception? Error, ConcurrentQueue<string> Violations, int Rounds);

    private static Outcome RunBounded(ChaosPlan plan)
    {
        var violations = new ConcurrentQueue<string>();
        int rounds = 0;
        Exception? error = null;
        var runner = new Thread(() =>
        {
            try { InProcessWorld.Run(plan.Size, world => Interlocked.Add(ref rounds, new ChaosRank(plan, world, violations).Run())); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true };
        var clock = Stopwatch.StartNew();
        runner.Start();
        Assert.True(runner.Join(ScenarioBound), $"hung for {ScenarioBound.TotalSeconds} s: {plan}");
        Assert.True(clock.Elapsed < ScenarioBound, $"took {clock.Elapsed}: {plan}");
        return new Outcome(error, violations, rounds);
    }

    /// <summary>The run's own verdict: success without an early end, else the early-ending rank named as the failed one.</summary>
    private static void CheckEnding(ChaosPlan plan, Exception? error)
    {
        bool mustFail = plan.End == ChaosEnd.Throw || (plan.End == ChaosEnd.Return && plan.EndIsNoticed());
        if (!mustFail)
        {
            Assert.True(error is null, $"{plan}\nthe run failed: {error}");
            return;
        }
        var failed = Assert.IsType<RankFailedException>(error);
        Assert.True(failed.FailedRank == plan.EndVictim, $"{plan}\nFailedRank {failed.FailedRank}, expected {plan.EndVictim}: {failed.Message}");
        if (plan.End == ChaosEnd.Throw) Assert.IsType<ChaosInjectedException>(failed.InnerException);
        else Assert.IsType<CollectiveAbandonedException>(failed.InnerException);
    }
}

/// <summary>The failure a chaos plan injects on purpose.</summary>
internal sealed class ChaosInjectedException(string message) : Exception(message);

/// <summary>One rank's walk through a chaos plan: calls, checks every result against a reference, records violations.</summary>
internal sealed class ChaosRank(ChaosPlan plan, ProcessGroup world, ConcurrentQueue<string> violations)
{
    private readonly int _me = world.Rank;
    private ProcessGroup _splitA = null!, _splitB = null!;

    /// <summary>Runs the plan; returns the number of collectives this rank completed.</summary>
    public int Run()
    {
        using var splitA = _splitA = world.Split(plan.Color(ChaosGroup.SplitA, _me), key: _me);
        using var splitB = _splitB = world.Split(plan.Color(ChaosGroup.SplitB, _me), key: _me);
        int completed = 0;
        for (int s = 0; s < plan.Steps.Count; s++)
        {
            if (plan.End != ChaosEnd.None && s == plan.EndStep && _me == plan.EndVictim)
            {
                if (plan.End == ChaosEnd.Return) return completed;
                throw new ChaosInjectedException($"rank {_me} fails on purpose at step {s}");
            }
            var step = plan.Steps[s];
            if (step.Fault != ChaosFault.None)
            {
                try
                {
                    Execute(plan.FaultyCall(step, _me), s, attempt: 0);
                    if (plan.FaultHits(step, _me)) Violation(s, $"the injected {step.Fault} was not reported");
                    completed++;
                }
                catch (CollectiveException e) when (Expected(step, e))
                {
                    // Caught: the rank retries the step as it should have been called.
                }
            }
            Execute(step.Call, s, attempt: 1);
            completed++;
        }
        return completed;
    }

    private bool Expected(ChaosStep step, CollectiveException error) =>
        plan.FaultHits(step, _me) &&
        (step.Fault == ChaosFault.Mismatch ? error is CollectiveMismatchException : error is CollectiveDeadlockException);

    private void Execute(ChaosCall call, int step, int attempt)
    {
        var group = call.Group switch { ChaosGroup.World => world, ChaosGroup.SplitA => _splitA, _ => _splitB };
        int[] members = plan.Members(call.Group, _me);
        int salt = step * 2 + attempt;
        try
        {
            Check(call, group, members, salt, step);
        }
        catch (CollectiveException) when (plan.End != ChaosEnd.None)
        {
            throw; // a rank that ended early releases the others with an error: legitimate, and this rank stops
        }
        catch (CollectiveException e) when (e is not CollectiveMismatchException and not CollectiveDeadlockException)
        {
            Violation(step, $"unexpected {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    private static float Input(int worldRank, int salt, int index) => ((worldRank * 7 + salt * 13 + index * 3) % 11) - 5;

    private void Check(ChaosCall call, ProcessGroup group, int[] members, int salt, int step)
    {
        int n = call.Length, size = group.Size, rank = group.Rank;
        switch (call.Kind)
        {
            case CollectiveKind.AllReduce:
            {
                var buffer = Inputs(_me, salt, n);
                group.AllReduce(buffer, call.Op);
                Compare(step, call, buffer, i => Reduce(members, m => Input(m, salt, i), call.Op));
                break;
            }
            case CollectiveKind.AllGather:
            {
                var receive = new float[n * size];
                group.AllGather(Inputs(_me, salt, n), receive);
                Compare(step, call, receive, i => Input(members[i / Math.Max(n, 1)], salt, i % Math.Max(n, 1)));
                break;
            }
            case CollectiveKind.ReduceScatter:
            {
                var receive = new float[n];
                group.ReduceScatter(Inputs(_me, salt, n * size), receive, call.Op);
                Compare(step, call, receive, i => Reduce(members, m => Input(m, salt, rank * n + i), call.Op));
                break;
            }
            case CollectiveKind.Broadcast:
            {
                int root = call.RootSeed % size;
                var buffer = Inputs(_me, salt, n);
                group.Broadcast(buffer, root);
                Compare(step, call, buffer, i => Input(members[root], salt, i));
                break;
            }
            default:
                group.Barrier();
                break;
        }
    }

    private static float[] Inputs(int worldRank, int salt, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = Input(worldRank, salt, i);
        return values;
    }

    // Small integers: every sum is exact in any order, and Average is that exact sum times 1/size, as the backend computes it.
    private static float Reduce(int[] members, Func<int, float> value, ReduceOp op)
    {
        float result = value(members[0]);
        for (int k = 1; k < members.Length; k++)
        {
            float v = value(members[k]);
            result = op switch { ReduceOp.Max => Math.Max(result, v), ReduceOp.Min => Math.Min(result, v), _ => result + v };
        }
        return op == ReduceOp.Average ? result * (1f / members.Length) : result;
    }

    private void Compare(int step, ChaosCall call, float[] actual, Func<int, float> expected)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] == expected(i)) continue;
            Violation(step, $"{call} element {i} is {actual[i]}, expected {expected(i)}");
            return;
        }
    }

    private void Violation(int step, string what) => violations.Enqueue($"rank {_me} step {step}: {what}");
}
