using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using TpCodegen;
using TpCodegen.Collectives;

public sealed record Request(int Id, int[] Prompt, int MaxNew);
public sealed record Completion(int Id, int[] Tokens);

public sealed partial class ServeModel
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(4096, 512);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048, bias: false);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512, bias: false);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(512, 4096, bias: false);

    public int[] NextTokens(int[] ids, SequenceBatch batch, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        h = h + Down.Forward(Ops.Silu(Up.Forward(h)));
        var last = Ops.SelectRows(h, batch.Sequences.Select(s => s.Start + s.Length - 1).ToArray());
        return VocabParallel.Argmax(Head.Forward(last));
    }
}

public sealed class InferenceServer(ServeModel model, ProcessGroup tp, int maxBatch)
{
    private readonly Channel<Request> _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(256) { SingleReader = true });
    public ChannelReader<Completion> Completions => _done.Reader;
    private readonly Channel<Completion> _done = Channel.CreateUnbounded<Completion>();

    public ValueTask SubmitAsync(Request request, CancellationToken ct) => _queue.Writer.WriteAsync(request, ct);

    // Rank 0 owns the queue; each step it broadcasts the batch so every rank runs the same forward.
    public async Task ServeAsync(CancellationToken ct)
    {
        var header = new float[1 + maxBatch * 3];
        while (true)
        {
            var batch = new List<Request>();
            if (tp.Rank == 0)
            {
                while (batch.Count < maxBatch && _queue.Reader.TryRead(out var r)) batch.Add(r);
                if (batch.Count == 0 && !ct.IsCancellationRequested)
                {
                    try { await Task.Delay(5, ct); } catch (OperationCanceledException) { }
                }
                header[0] = ct.IsCancellationRequested ? -1 : batch.Count;
            }
            tp.Broadcast(header, root: 0);
            if (header[0] < 0) break;
            int count = (int)header[0];
            if (count == 0) continue;
            var prompts = await ShareBatchAsync(batch, count);
            var ids = prompts.SelectMany(p => p.Prompt).ToArray();
            var spans = SequenceBatch.Prefill(prompts.Select(p => p.Prompt.Length).ToArray());
            var next = model.NextTokens(ids, spans, tp);
            if (tp.Rank == 0)
                for (int i = 0; i < count; i++)
                    await _done.Writer.WriteAsync(new Completion(prompts[i].Id, [next[i]]), ct);
        }
        _done.Writer.TryComplete();
    }

    private Task<Request[]> ShareBatchAsync(List<Request> local, int count)
    {
        var lengths = new float[count];
        if (tp.Rank == 0) for (int i = 0; i < count; i++) lengths[i] = local[i].Prompt.Length;
        tp.Broadcast(lengths, 0);
        var result = new Request[count];
        for (int i = 0; i < count; i++)
        {
            var body = new float[(int)lengths[i] + 1];
            if (tp.Rank == 0)
            {
                body[0] = local[i].Id;
                for (int j = 0; j < local[i].Prompt.Length; j++) body[j + 1] = local[i].Prompt[j];
            }
            tp.Broadcast(body, 0);
            result[i] = new Request((int)body[0], body.Skip(1).Select(v => (int)v).ToArray(), 1);
        }
        return Task.FromResult(result);
    }
}
