using System.Collections.Generic;

namespace TpCodegen.Contract;

/// <summary>
/// The option values of one <c>[TensorParallel]</c> layer; a value type with equality, so the generator can keep it in
/// its incremental pipeline. <see cref="Defaults"/> are the attribute's own defaults.
/// </summary>
internal readonly record struct LayerOptions(bool GatherOutput, bool InputIsParallel, bool ReduceResults, bool SkipBiasAdd)
{
    /// <summary>The options an attribute with none written has: TensorParallelAttribute declares the same.</summary>
    public static LayerOptions Defaults => new(GatherOutput: false, InputIsParallel: true, ReduceResults: true, SkipBiasAdd: false);

    /// <summary>Every option, in declaration order.</summary>
    public static IReadOnlyList<SplitOption> All { get; } = new[] { SplitOption.GatherOutput, SplitOption.InputIsParallel, SplitOption.ReduceResults, SplitOption.SkipBiasAdd };

    /// <summary>The attribute property that carries <paramref name="option"/>.</summary>
    public static string Name(SplitOption option) => option switch
    {
        SplitOption.GatherOutput => "GatherOutput",
        SplitOption.InputIsParallel => "InputIsParallel",
        SplitOption.ReduceResults => "ReduceResults",
        _ => "SkipBiasAdd",
    };

    /// <summary>The option an attribute property name carries, if any.</summary>
    public static SplitOption? Parse(string name)
    {
        foreach (var option in All)
        {
            if (Name(option) == name) return option;
        }
        return null;
    }

    public bool Get(SplitOption option) => option switch
    {
        SplitOption.GatherOutput => GatherOutput,
        SplitOption.InputIsParallel => InputIsParallel,
        SplitOption.ReduceResults => ReduceResults,
        _ => SkipBiasAdd,
    };

    public LayerOptions With(SplitOption option, bool value) => option switch
    {
        SplitOption.GatherOutput => this with { GatherOutput = value },
        SplitOption.InputIsParallel => this with { InputIsParallel = value },
        SplitOption.ReduceResults => this with { ReduceResults = value },
        _ => this with { SkipBiasAdd = value },
    };
}
