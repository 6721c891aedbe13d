namespace TpCodegen.Contract;

/// <summary>
/// An option value written on a split it contradicts, alone or together with another written option (analyzer
/// TP0018 reports it on <see cref="Option"/>; its code fix removes that option, or <see cref="With"/>'s).
/// </summary>
/// <param name="Option">The written option the conflict is reported on.</param>
/// <param name="Value">The value that conflicts.</param>
/// <param name="With">Another option that must also be written, with <paramref name="WithValue"/>, for the conflict; null when the first alone conflicts.</param>
/// <param name="Problem">What is wrong and what to do, ending in the fix.</param>
internal sealed record OptionConflict(SplitOption Option, bool Value, SplitOption? With, bool WithValue, string Problem)
{
    /// <summary>Whether the written options (null: left out) hit this conflict.</summary>
    public bool IsHitBy(System.Func<SplitOption, bool?> written) =>
        written(Option) == Value && (With is not { } other || written(other) == WithValue);
}
