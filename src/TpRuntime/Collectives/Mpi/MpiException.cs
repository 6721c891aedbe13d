namespace TpCodegen.Collectives.Mpi;

/// <summary>An MPI call failed, or MPI could not be loaded. Carries MPI's own description of the error.</summary>
public sealed class MpiException : Exception
{
    public MpiException(string message) : base(message) { }

    public MpiException(string message, Exception inner) : base(message, inner) { }

    private MpiException(string message, int errorCode, string mpiMessage) : base(message)
    {
        ErrorCode = errorCode;
        MpiMessage = mpiMessage;
    }

    /// <summary>The code the MPI function returned; 0 when the failure did not come from an MPI call.</summary>
    public int ErrorCode { get; }

    /// <summary>What MPI_Error_string says about <see cref="ErrorCode"/>; empty when there is no code.</summary>
    public string MpiMessage { get; } = "";

    /// <summary>Builds the exception for <paramref name="errorCode"/> returned by <paramref name="function"/>.</summary>
    /// <param name="errorCode">The code the MPI function returned.</param>
    /// <param name="function">The MPI function, e.g. "MPI_Allreduce".</param>
    /// <param name="context">What was being done, e.g. "AllReduce of 1000 floats on world (rank 1 of 4)".</param>
    internal static MpiException FromCode(int errorCode, string function, string context)
    {
        string text = Describe(errorCode);
        return new MpiException($"{function} failed during {context}: {text} (MPI error {errorCode}).", errorCode, text);
    }

    private static unsafe string Describe(int errorCode)
    {
        byte* text = stackalloc byte[MpiNative.ErrorStringCapacity];
        int length = 0;
        if (MpiNative.ErrorString(errorCode, text, &length) != MpiNative.Success || length <= 0)
            return "MPI_Error_string gave no description";
        return System.Text.Encoding.UTF8.GetString(text, Math.Min(length, MpiNative.ErrorStringCapacity)).TrimEnd('\0', ' ', '\n');
    }
}
