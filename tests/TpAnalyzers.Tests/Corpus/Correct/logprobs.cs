using System;
using System.Linq;
using System.Numerics.Tensors;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class LogprobLm
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(32000, 512);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(512, 32000, bias: false);
    public RmsNorm Norm { get; } = new(512);
    public DTensor Logits(int[] ids, ProcessGroup tp) => Head.Forward(Norm.Forward(Embed.Forward(ids, tp)));
}

public readonly record struct TopLogprob(int Id, float Logprob);

public static class Logprobs
{
    // An OpenAI-style "top_logprobs: 5" answer needs the log-softmax over the whole vocabulary and its top 5 entries:
    // no vocab-parallel API returns them, so the last row's logits are gathered (once per request, for the last token).
    public static TopLogprob[] Top(LogprobLm lm, int[] ids, int k, ProcessGroup tp)
    {
        var logits = lm.Logits(ids, tp);
        var last = Ops.SelectRows(logits, [logits.Tokens - 1]);
        var row = last.FullTensor().ToArray().AsSpan(0, 32000).ToArray();
        float max = TensorPrimitives.Max(row);
        var shifted = row.Select(v => v - max).ToArray();
        float logSum = MathF.Log(shifted.Sum(MathF.Exp));
        return shifted.Select((v, id) => new TopLogprob(id, v - logSum)).OrderByDescending(t => t.Logprob).Take(k).ToArray();
    }
}
