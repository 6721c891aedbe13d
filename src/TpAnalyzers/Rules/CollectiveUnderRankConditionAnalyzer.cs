// TP0015 — a collective that only some ranks reach.
// Every rank of a group must call the same collectives in the same order. A collective under a condition on the
// rank (if (group.Rank == 0) ..., a ternary, a loop condition, a switch, &&/||), or after an early return, break or
// continue that only some ranks take, leaves the other ranks waiting forever: a deadlock, on the cluster, with no message. Calls that
// run a collective inside count too: a tensor-parallel layer's Forward, Ops.AllReduce, DTensor.Redistribute and
// FullTensor, DeviceMesh.Create, and any method of the compilation that runs one of these, however deep (a module's
// own Forward). A collective in a catch block is reached by the failing ranks only. A branch that calls the same
// collective on the other side is balanced and passes.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Flow;
using TpCodegen.Analyzers.Toolkit;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CollectiveUnderRankConditionAnalyzer : InvocationRuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CollectiveUnderRankCondition);

    private protected override void AnalyzeInvocation(SourceOperationContext context, IInvocationOperation invocation, KnownTypes types)
    {
        // A method of the compilation is read once per compilation (its summary is cached), so most calls cost a lookup;
        // the message's text is made only for a collective under a rank condition.
        bool direct = IsCollective(invocation, types);
        var inner = direct ? null
            : MethodSummaries.MayRunCollective(invocation.TargetMethod, context.Compilation)
                ? CollectiveIn(invocation.TargetMethod, context.Compilation, types)
                : null;
        string? delegated = direct || inner is not null ? null : InDelegate(invocation, context.Compilation, types);
        if (!direct && inner is null && delegated is null) return;
        var group = direct ? GroupOf(invocation, types) : inner?.Group ?? GroupRole.Unknown;
        if (FindRankGuard(invocation, types, group, inner) is not { } guard) return;
        var collective = direct ? Describe(invocation, types)! : inner is not null ? Calls.Name(invocation) + ", which runs " + inner.First : delegated!;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.CollectiveUnderRankCondition, invocation.Syntax.GetLocation(), collective, guard));
    }

    // A method of its own: a lambda capturing a parameter is allocated on entry to the method that declares it, and
    // the callers run for every invocation of every body.
    private static CollectivesRun? CollectiveIn(IMethodSymbol method, Compilation compilation, KnownTypes types) =>
        MethodSummaries.CollectiveIn(method, compilation, call => IsCollective(call, types) ? new CollectivesRun(Describe(call, types)!, GroupOf(call, types)) : null);

    /// <summary>
    /// The group a collective runs over: a group's own collective over its receiver's role, a tensor-parallel layer's
    /// forward over the tensor-parallel group; Unknown for the rest (a DTensor's group is not followed).
    /// </summary>
    private static GroupRole GroupOf(IInvocationOperation invocation, KnownTypes types) => Classify(invocation, types) switch
    {
        Collective.LayerForward => GroupRole.TensorParallel,
        Collective.RuntimeCall => RuntimeCollectiveGroup(invocation, types) ?? GroupRole.Unknown,
        Collective.Call when types.IsGroupCollective(invocation.TargetMethod) => types.ClassifyGroup(invocation.Instance),
        _ => GroupRole.Unknown,
    };

    /// <summary>
    /// <c>sync()</c> where <c>Action sync = () =&gt; tp.AllReduce(g);</c>: a delegate held in a local and given a lambda
    /// runs what the lambda runs.
    /// </summary>
    private static string? InDelegate(IInvocationOperation invocation, Compilation compilation, KnownTypes types)
    {
        if (invocation.TargetMethod.MethodKind != MethodKind.DelegateInvoke || Operations.Unwrap(invocation.Instance) is not ILocalReferenceOperation local) return null;
        var initializer = Operations.Unwrap(Operations.InitializerOf(local));
        if (initializer is IDelegateCreationOperation creation) initializer = creation.Target;
        if (initializer is not IAnonymousFunctionOperation lambda) return null;
        foreach (var node in lambda.Body.DescendantsAndSelf())
        {
            if (node is not IInvocationOperation call) continue;
            var found = Describe(call, types)
                ?? (MethodSummaries.MayRunCollective(call.TargetMethod, compilation) ? CollectiveIn(call.TargetMethod, compilation, types)?.First : null);
            if (found is not null) return "'" + local.Local.Name + "', which runs " + found;
        }
        return null;
    }

    private enum Collective
    {
        None,
        Call,
        LayerForward,

        /// <summary>A TpRuntime API that runs collectives inside: VocabParallel.Argmax, the vocabulary-parallel loss, ...</summary>
        RuntimeCall,
    }

    /// <summary>Whether the call is a collective itself, and of which kind (what <see cref="Describe"/> names); no text made.</summary>
    private static Collective Classify(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (types.IsGroupCollective(method)) return Collective.Call;
        if (types.IsTensorParallelForward(invocation)) return Collective.LayerForward;
        if (SymbolEqualityComparer.Default.Equals(type, types.Ops) && method.Name == "AllReduce") return Collective.Call;
        if (SymbolEqualityComparer.Default.Equals(type, types.DeviceMesh) && method.Name == "Create") return Collective.Call;
        if (SymbolEqualityComparer.Default.Equals(type, types.DTensor))
        {
            if (method.Name == "FullTensor") return Collective.Call;
            // Replicate -> Shard(-1) only keeps a local slice; every other redistribution moves data between ranks.
            if (method.Name == "Redistribute" &&
                !(invocation.Arguments.Length == 1 && Operations.Unwrap(invocation.Arguments[0].Value) is IInvocationOperation { TargetMethod.Name: "Shard" }))
                return Collective.Call;
        }
        if (RuntimeCollectiveGroup(invocation, types) is not null) return Collective.RuntimeCall;
        return Collective.None;
    }

    /// <summary>
    /// For a TpRuntime API that runs collectives inside, the group it runs them over (Unknown when it runs them over
    /// several or the one it is given is not known); null for any other call. Picking a token from vocabulary-parallel
    /// logits all-gathers the candidates (the classic "print the next token on rank 0" deadlock), the loss all-reduces,
    /// a vocabulary-split embedding all-reduces its rows, clipping all-reduces the norm, a trainer's step runs them all.
    /// </summary>
    private static GroupRole? RuntimeCollectiveGroup(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (type is null || !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, types.DTensor.ContainingAssembly)) return null;
        return (type.Name, method.Name) switch
        {
            ("VocabParallel", "Argmax" or "Sample") => GroupRole.TensorParallel,
            ("VocabParallelCrossEntropy", "Loss") => GroupRole.TensorParallel,
            ("DTensor", "GatherTokens" or "ReduceScatterTokens") => GroupRole.TensorParallel,
            ("Embedding", "Forward") when types.TensorParallelMemberOf(invocation.Instance) is not null => GroupRole.TensorParallel,
            ("GradientClipping", "ClipByGlobalNorm" or "GlobalNorm") => types.ClassifyGroup(Calls.Argument(invocation, "tensorParallel")?.Value),
            ("DataParallelGradients", "Average" or "Sum") => types.ClassifyGroup(Calls.Argument(invocation, "dataParallel")?.Value),
            ("Trainer", "Step") => GroupRole.Unknown,
            _ => null,
        };
    }

    private static bool IsCollective(IInvocationOperation invocation, KnownTypes types) => Classify(invocation, types) != Collective.None;

    /// <summary>How the message names a call that runs a collective, or null for any other call.</summary>
    private static string? Describe(IInvocationOperation invocation, KnownTypes types) => Classify(invocation, types) switch
    {
        Collective.Call => Calls.Name(invocation),
        Collective.LayerForward => $"{Calls.Name(invocation)} (the forward of tensor-parallel layer '{types.TensorParallelForwardOf(invocation)}')",
        Collective.RuntimeCall => Calls.Name(invocation),
        _ => null,
    };

    /// <summary>
    /// Walks from the call up to its method (or lambda) and returns the first rank condition that decides whether this
    /// rank gets there, phrased for the message ("'group.Rank == 0' holds"), or null. A condition every rank of the
    /// collective's <paramref name="group"/> answers alike is no such condition (<see cref="RankConditions.SplitsGroup"/>).
    /// </summary>
    private static string? FindRankGuard(IInvocationOperation invocation, KnownTypes types, GroupRole group, CollectivesRun? inner)
    {
        IOperation child = invocation;
        for (var parent = invocation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation or IMethodBodyBaseOperation:
                    // Where a lambda runs is another question; stop at the function boundary.
                    return null;
                case IConditionalOperation conditional when child != conditional.Condition && RankConditions.SplitsGroup(conditional.Condition, types, group):
                    var otherBranch = child == conditional.WhenTrue ? conditional.WhenFalse : conditional.WhenTrue;
                    if (otherBranch is not null && (CallsSame(otherBranch, invocation.TargetMethod) || RunsSameCollective(otherBranch, invocation, inner, types))) break;
                    return Quote(conditional.Condition) + (child == conditional.WhenTrue ? " holds" : " does not hold");
                case IWhileLoopOperation { Condition: { } condition } loop when child == loop.Body && RankConditions.SplitsGroup(condition, types, group):
                    return Quote(condition) + " holds";
                case IForLoopOperation { Condition: { } condition } loop when child == loop.Body && RankConditions.SplitsGroup(condition, types, group):
                    return Quote(condition) + " holds";
                case ISwitchCaseOperation when parent.Parent is ISwitchOperation @switch && RankConditions.SplitsGroup(@switch.Value, types, group):
                    return "the switch on " + Quote(@switch.Value) + " picks this case";
                case ISwitchExpressionArmOperation when parent.Parent is ISwitchExpressionOperation @switch && RankConditions.SplitsGroup(@switch.Value, types, group):
                    return "the switch on " + Quote(@switch.Value) + " picks this arm";
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical
                    when child == logical.RightOperand && RankConditions.SplitsGroup(logical.LeftOperand, types, group):
                    return Quote(logical.LeftOperand) + (logical.OperatorKind == BinaryOperatorKind.ConditionalAnd ? " holds" : " does not hold");
                case ICatchClauseOperation @catch when child == @catch.Handler:
                    // An exception the runtime raises on every rank (a mismatch, a deadlock) is caught by all of them, and
                    // they may retry together; any other is caught by the ranks that failed only, while the others are
                    // already in the next collective.
                    if (RaisedOnEveryRank(@catch.ExceptionType, types) && !RankConditions.SplitsGroup(@catch.Filter, types, group)) break;
                    return "an exception was caught";
                case IBlockOperation block when EarlyExit(block, child, types, group) is { } exit:
                    return exit;
                case ILoopOperation loop when child == loop.Body && LeavesLoopOnSomeRanks(loop.Body, types, group) is { } leave:
                    return leave;
            }
        }
        return null;
    }

    /// <summary>An earlier statement of the block that leaves it on some ranks only: <c>if (rank != 0) return;</c>.</summary>
    private static string? EarlyExit(IBlockOperation block, IOperation statement, KnownTypes types, GroupRole group) =>
        RankExit(block, statement, types, group, leavingLoop: false);

    /// <summary>
    /// A statement anywhere in a loop's body that leaves the loop on some ranks only (<c>if (tp.Rank == 0 &amp;&amp;
    /// Console.KeyAvailable) break;</c> after the forward): the ranks that stay run the next pass's collectives alone.
    /// </summary>
    private static string? LeavesLoopOnSomeRanks(IOperation body, KnownTypes types, GroupRole group) =>
        body is IBlockOperation block ? RankExit(block, null, types, group, leavingLoop: true) : null;

    /// <summary>
    /// The first rank-conditioned exit among the block's statements (those before <paramref name="stopAt"/>, when given):
    /// a return or break, and a continue too unless what is left is the loop itself.
    /// </summary>
    private static string? RankExit(IBlockOperation block, IOperation? stopAt, KnownTypes types, GroupRole group, bool leavingLoop)
    {
        foreach (var statement in block.Operations)
        {
            if (statement == stopAt) break;
            if (statement is not IConditionalOperation conditional || !RankConditions.SplitsGroup(conditional.Condition, types, group)) continue;
            bool exitsWhenTrue = Exits(conditional.WhenTrue, leavingLoop);
            bool exitsWhenFalse = conditional.WhenFalse is not null && Exits(conditional.WhenFalse, leavingLoop);
            if (exitsWhenTrue == exitsWhenFalse) continue;
            return Quote(conditional.Condition) + (exitsWhenTrue ? " does not hold" : " holds") + (leavingLoop ? " (the others leave the loop)" : " (the others leave early)");
        }
        return null;
    }

    private static bool RaisedOnEveryRank(ITypeSymbol? exception, KnownTypes types) =>
        exception is not null &&
        (SymbolEqualityComparer.Default.Equals(exception, types.CollectiveMismatchException) || SymbolEqualityComparer.Default.Equals(exception, types.CollectiveDeadlockException));

    private static bool Exits(IOperation? operation, bool leavingLoop) => operation switch
    {
        // A throw is left out: argument checks on the rank throw on every rank or none, and the runtime releases
        // the peers of a rank that throws.
        IReturnOperation => true,
        IBranchOperation { BranchKind: BranchKind.Break } => true,
        IBranchOperation { BranchKind: BranchKind.Continue } => !leavingLoop,
        IBlockOperation { Operations.Length: > 0 } block => Exits(block.Operations[block.Operations.Length - 1], leavingLoop),
        _ => false,
    };

    private static bool CallsSame(IOperation branch, IMethodSymbol method)
    {
        foreach (var operation in Operations.SelfAndDescendants(branch))
        {
            if (operation is IInvocationOperation other && SymbolEqualityComparer.Default.Equals(other.TargetMethod, method)) return true;
        }
        return false;
    }

    /// <summary>
    /// Whether the other branch runs the same collective through another call: <c>if (tp.Rank == 0) y =
    /// mlp.ForwardAndLog(x); else y = mlp.Forward(x);</c>, where both run the layers' all-reduces.
    /// </summary>
    private static bool RunsSameCollective(IOperation branch, IInvocationOperation invocation, CollectivesRun? inner, KnownTypes types)
    {
        if (invocation.SemanticModel?.Compilation is not { } compilation) return false;
        string? mine = inner?.First ?? Describe(invocation, types);
        if (mine is null) return false;
        foreach (var operation in Operations.SelfAndDescendants(branch))
        {
            if (operation is not IInvocationOperation other) continue;
            var theirs = Describe(other, types) ?? (MethodSummaries.MayRunCollective(other.TargetMethod, compilation) ? CollectiveIn(other.TargetMethod, compilation, types)?.First : null);
            if (theirs == mine) return true;
        }
        return false;
    }

    private static string Quote(IOperation operation) => "'" + Operations.Text(operation.Syntax) + "'";
}
