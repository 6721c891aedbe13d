using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class TinyLm
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(32000, 1024);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(1024, 4096, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(4096, 1024, bias: false);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(1024, 32000, bias: false);
    public RmsNorm Norm { get; } = new(1024);

    public DTensor Logits(ReadOnlySpan<int> ids, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        h = h + Down.Forward(Ops.Silu(Up.Forward(Norm.Forward(h))));
        return Head.Forward(Norm.Forward(h));
    }
}

public static class StreamingGenerator
{
    public const int Eos = 2;

    // Every rank runs every forward; only rank 0 writes to the console.
    public static IReadOnlyList<int> Generate(TinyLm model, int[] prompt, int maxNew, SamplingOptions sampling, ProcessGroup tp)
    {
        var context = new List<int>(prompt);
        bool printer = tp.Rank == 0;
        if (printer) Console.Write($"[{string.Join(',', prompt)}] ->");
        for (int step = 0; step < maxNew; step++)
        {
            var logits = model.Logits(context.ToArray(), tp);
            var last = Ops.SelectRows(logits, [logits.Tokens - 1]);
            long key = ((long)step << 32) | 0u;
            int next = sampling.IsGreedy ? VocabParallel.Argmax(last)[0] : VocabParallel.Sample(last, sampling, [key])[0];
            if (printer)
            {
                Console.Write($" {next}");
                Console.Out.Flush();
            }
            if (next == Eos) break;          // the same id on every rank
            context.Add(next);
        }
        if (printer) Console.WriteLine();
        return context;
    }

    public static void Main() => Launcher.Run(2, tp =>
    {
        var model = new TinyLm();
        var topK = new SamplingOptions { Temperature = 0.7f, TopK = 40, TopP = 0.9f, Seed = 7 };
        var tokens = Generate(model, [1, 15, 42], 16, topK, tp);
        var greedy = Generate(model, [1, 15, 42], 16, SamplingOptions.Greedy, tp);
        if (tp.Rank == 0)
            Console.WriteLine(tokens.SequenceEqual(greedy) ? "same" : $"differ after {tokens.Zip(greedy).TakeWhile(p => p.First == p.Second).Count()}");
    });
}
