using System;
using System.Linq;
using System.Text;
using TpCodegen;
using TpCodegen.Collectives;

public sealed partial class ChatModel
{
    [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(256, 512);
    [TensorParallel(Split.Column)] public Linear Up { get; } = new(512, 2048);
    [TensorParallel(Split.Row)] public Linear Down { get; } = new(2048, 512);
    [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(512, 256, bias: false);
    public int Next(int[] ids, ProcessGroup tp)
    {
        var h = Embed.Forward(ids, tp);
        h = h + Down.Forward(Ops.Gelu(Up.Forward(h)));
        return VocabParallel.Argmax(Ops.SelectRows(Head.Forward(h), [ids.Length - 1]))[0];
    }
}

public static class Chat
{
    // Rank 0 reads the user's line; the byte ids go to every rank by broadcast (length first), then all ranks decode.
    public static void Loop(ChatModel model, ProcessGroup tp, Func<string?> readLine)
    {
        var length = new float[1];
        while (true)
        {
            string? line = tp.Rank == 0 ? readLine() : null;
            length[0] = tp.Rank == 0 ? (line is null ? -1 : Encoding.UTF8.GetByteCount(line)) : 0;
            tp.Broadcast(length, root: 0);
            if (length[0] < 0) break;
            var ids = new float[(int)length[0]];
            if (tp.Rank == 0) ids = Encoding.UTF8.GetBytes(line!).Select(b => (float)b).ToArray();
            tp.Broadcast(ids, root: 0);
            var context = ids.Select(f => (int)f).ToList();
            var reply = new StringBuilder();
            for (int i = 0; i < 64 && context.Count > 0; i++)
            {
                int next = model.Next(context.ToArray(), tp);
                if (next == '\n') break;
                context.Add(next);
                reply.Append((char)next);
            }
            if (tp.Rank == 0) Console.WriteLine($"> {reply}");
        }
    }
}
