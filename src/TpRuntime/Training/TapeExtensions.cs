namespace TpCodegen.Training;

/// <summary><c>loss.Backward()</c>: the backward of the tape recording on this thread.</summary>
public static class TapeExtensions
{
    /// <summary>Runs the backward of the tape that recorded <paramref name="loss"/> (the one recording on this thread).</summary>
    public static void Backward(this DTensor loss) =>
        (Tape.Active ?? throw new InvalidOperationException($"Backward of {loss}: no Tape is recording on this thread; wrap the forward in Tape.Start()."))
        .Backward(loss);
}
