using System;
using System.Collections.Generic;

namespace TpCodegen.Contract;

/// <summary>
/// One row of the split contract: everything a kind of split means, stated once. The forward of a layer is "move the
/// input to <see cref="GemmInput"/>, run the local GEMM, which makes <see cref="GemmOutput"/>, move that to the
/// layer's output placement"; the backward runs the conjugate moves. Every move comes from <see cref="Transitions"/>,
/// so a row states only placements: <see cref="Resolve"/> derives the collectives.
/// </summary>
internal sealed class SplitContract
{
    public SplitContract(
        SplitKind kind,
        DividedDimension divides,
        string holds,
        Layout gemmInput,
        Layout gemmOutput,
        Layout gemmInputGradient,
        SplitOption[] options,
        Func<LayerOptions, Layout> input,
        Func<LayerOptions, Layout> output,
        OptionConflict[] conflicts,
        Func<long, int, bool>? allowsDegree = null,
        Func<long, int, long>? localSize = null,
        string? runtimeShard = null,
        bool splitsEmbeddings = false)
    {
        Kind = kind;
        Divides = divides;
        Holds = holds;
        GemmInput = gemmInput;
        GemmOutput = gemmOutput;
        GemmInputGradient = gemmInputGradient;
        Options = options;
        _input = input;
        _output = output;
        Conflicts = conflicts;
        _allowsDegree = allowsDegree ?? Degrees.Divides;
        _localSize = localSize ?? ((size, tp) => size / tp);
        RuntimeShard = runtimeShard;
        SplitsEmbeddings = splitsEmbeddings;
    }

    /// <summary>
    /// The runtime class (in namespace TpCodegen) that is this split's Linear shard, when one exists: generated code then
    /// constructs it rather than emitting a shard class of its own. Null: the generator emits the shard from this row.
    /// </summary>
    public string? RuntimeShard { get; }

    /// <summary>Whether an Embedding table (not only a Linear) may carry this split: its rows are divided by vocabulary id.</summary>
    public bool SplitsEmbeddings { get; }

    private readonly Func<long, int, long> _localSize;

    private readonly Func<long, int, bool> _allowsDegree;

    private readonly Func<LayerOptions, Layout> _input;
    private readonly Func<LayerOptions, Layout> _output;

    public SplitKind Kind { get; }

    /// <summary>"Column", "Row": as the public Split enum names it.</summary>
    public string Name => Kind.ToString();

    /// <summary>The dimension the degree divides.</summary>
    public DividedDimension Divides { get; }

    /// <summary>What rank r holds, as C# doc text ("<c>W[:, r*out/tp : (r+1)*out/tp]</c> and the same slice of the bias").</summary>
    public string Holds { get; }

    /// <summary>"output features", "input features": for messages.</summary>
    public string DividedName => Divides == DividedDimension.OutFeatures ? "output features" : "input features";

    /// <summary>The placement the local GEMM needs its input in.</summary>
    public Layout GemmInput { get; }

    /// <summary>The placement of what the local GEMM makes.</summary>
    public Layout GemmOutput { get; }

    /// <summary>
    /// The placement of the input gradient the local backward GEMM makes (<c>dY_local @ W_local^T</c>): a partial sum
    /// when every rank read the whole input, this rank's slice when it read only its slice.
    /// </summary>
    public Layout GemmInputGradient { get; }

    /// <summary>The options that change this split's layer; the others are normalised to their defaults.</summary>
    public IReadOnlyList<SplitOption> Options { get; }

    /// <summary>Written option values that contradict this split (TP0018).</summary>
    public IReadOnlyList<OptionConflict> Conflicts { get; }

    /// <summary>Whether the bias is cut like the divided dimension (a column layer's slice) or kept whole (a row layer's).</summary>
    public bool BiasIsDivided => Divides == DividedDimension.OutFeatures;

    /// <summary>The size the degree must divide, of a layer of <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    public long DividedSize(long inFeatures, long outFeatures) => Divides == DividedDimension.OutFeatures ? outFeatures : inFeatures;

    /// <summary>
    /// Whether degree <paramref name="tp"/> can split a layer whose divided dimension is <paramref name="size"/>: by
    /// default when it divides it (Column, Row); a row may state another rule (whole heads, a padded vocabulary).
    /// </summary>
    public bool AllowsDegree(long size, int tp) => tp >= 1 && _allowsDegree(size, tp);

    /// <summary>
    /// What one rank of <paramref name="tp"/> holds of the divided dimension of size <paramref name="size"/> (an allowed
    /// degree): its equal share, or a padded share for a vocabulary.
    /// </summary>
    public long LocalSize(long size, int tp) => _localSize(size, tp);

    /// <summary>The options with every option this split ignores set to its default.</summary>
    public LayerOptions Normalize(LayerOptions options)
    {
        var normalized = LayerOptions.Defaults;
        foreach (var option in Options) normalized = normalized.With(option, options.Get(option));
        return normalized;
    }

    /// <summary>What a layer of this split with <paramref name="options"/> takes, returns and moves.</summary>
    public LayerContract Resolve(LayerOptions options)
    {
        var normalized = Normalize(options);
        return new LayerContract(this, normalized, _input(normalized), _output(normalized));
    }
}
