namespace TpCodegen.Analyzers.Toolkit;

/// <summary>Which group a process-group expression denotes, as far as the code shows it.</summary>
internal enum GroupRole
{
    Unknown,
    TensorParallel,
    DataParallel,
    World,
}
