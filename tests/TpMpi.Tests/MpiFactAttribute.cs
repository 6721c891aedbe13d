namespace TpCodegen.MpiTests;

/// <summary>
/// A fact that needs <c>mpiexec</c>. Without it the test is skipped with the reason shown, unless
/// <c>TP_REQUIRE_MPI=1</c> (set by CI), in which case it runs and fails: CI must not pass by skipping.
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiJob.SkipReason() is { } reason)
            Skip = reason;
    }
}

/// <summary>The theory form of <see cref="MpiFactAttribute"/>.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (MpiJob.SkipReason() is { } reason)
            Skip = reason;
    }
}
