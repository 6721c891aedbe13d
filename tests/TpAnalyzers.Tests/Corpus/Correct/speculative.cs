using System;
using System.Collections.Generic;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class DraftModel
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(8000, 256);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(256, 1024, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(1024, 256, bias: false);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(256, 8000, bias: false);

    public int[] Next(ReadOnlySpan<int> ids, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        h = h + Down.Forward(Ops.Relu(Up.Forward(h)));
        return VocabParallel.Argmax(Head.Forward(h));
    }
}

public sealed partial class TargetModel
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(8000, 1024);
    [TensorParallel(Split.Column)] public Linear Gate { get; } = new(1024, 4096, bias: false);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(1024, 4096, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(4096, 1024, bias: false);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(1024, 8000, bias: false);

    public int[] Verify(ReadOnlySpan<int> ids, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        h = h + Down.Forward(Ops.Silu(Gate.Forward(h)) * Up.Forward(h));
        return VocabParallel.Argmax(Head.Forward(h));
    }
}

public static class Speculative
{
    // Draft k tokens, verify them in one target forward, accept the agreeing prefix. All ranks agree on every id,
    // so the accept loop and the early exit are the same everywhere.
    public static List<int> Decode(DraftModel draft, TargetModel target, List<int> context, int lookahead, int maxNew, ProcessGroup tp)
    {
        int produced = 0;
        while (produced < maxNew)
        {
            var proposal = new List<int>(context);
            for (int i = 0; i < lookahead; i++)
                proposal.Add(draft.Next(proposal.ToArray(), tp)[^1]);

            var verified = target.Verify(proposal.ToArray(), tp);
            int accepted = 0;
            while (accepted < lookahead && verified[context.Count - 1 + accepted] == proposal[context.Count + accepted])
                accepted++;
            for (int i = 0; i < accepted; i++) context.Add(proposal[context.Count]);
            context.Add(verified[context.Count - 1]);
            produced += accepted + 1;
            if (context[^1] == 2) break;
            if (tp.Rank == 0) Console.WriteLine($"accepted {accepted}/{lookahead}");
        }
        return context;
    }
}
