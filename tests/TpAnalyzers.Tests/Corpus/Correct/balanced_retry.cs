using System;
using System.IO;
using TpCodegen;
using TpCodegen.Collectives;

public static class Robust
{
    public static void LoadAndShare(ProcessGroup tp, float[] buffer, string path)
    {
        if (tp.Rank == 0)
        {
            var bytes = File.ReadAllBytes(path);
            Buffer.BlockCopy(bytes, 0, buffer, 0, Math.Min(bytes.Length, buffer.Length * 4));
            tp.Broadcast(buffer, 0);
        }
        else
        {
            tp.Broadcast(buffer, 0);
        }
        var flag = new float[] { tp.Rank == 0 && buffer[0] > 0 ? 1 : 0 };
        tp.Broadcast(flag, 0);
    }

    // Every rank gets a CollectiveMismatchException, so all of them may catch it and retry together.
    public static void ReduceWithRetry(ProcessGroup tp, float[] grads)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                tp.AllReduce(grads);
                return;
            }
            catch (CollectiveMismatchException) when (attempt < 3)
            {
                tp.Barrier();
            }
        }
    }

    public static void WithFinally(ProcessGroup tp, float[] data)
    {
        try
        {
            if (tp.Rank == 0) File.WriteAllText("lengths.txt", data.Length.ToString());
        }
        finally
        {
            tp.Barrier();
        }
    }

    public static void GenerateUntilStop(ProcessGroup tp, Func<float> step)
    {
        bool done = false;
        int steps = 0;
        while (!done)
        {
            float value = step();
            var stop = new float[] { tp.Rank == 0 && (value < 0 || ++steps > 100) ? 1f : 0f };
            tp.Broadcast(stop, root: 0);
            done = stop[0] > 0;
        }
    }
}
